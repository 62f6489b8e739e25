# Bar chart of the replay benchmark: Mpps per CPU-second of the forwarding
# thread(s) per workload, vipgate next to dpdk-testpmd's io / macswap /
# 5tswap on the same vdevs and core.
#   gnuplot -e "datafile='chart.dat'; outfile='bench.png'" bench/chart.gp
# chart.dat: a header line "workload vipgate io macswap 5tswap", then one
# row per workload (written by bench/harness.py).
set terminal pngcairo size 900,420 font "DejaVu Sans,9" noenhanced
set output outfile
set title "vipgate vs dpdk-testpmd, pcap replay into net_null: median Mpps per CPU-second of the forwarding thread(s)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set ylabel "Mpps per CPU"
set bmargin 6
set rmargin 6
set yrange [0:*]
set grid ytics lc rgb "#dddddd"
set key top right horizontal
set xtics rotate by -25 scale 0
set datafile separator whitespace
plot datafile using 2:xtic(1) title columnheader(2) lc rgb "#c0392b", \
     '' using 3 title columnheader(3) lc rgb "#95a5a6", \
     '' using 4 title columnheader(4) lc rgb "#7f8c8d", \
     '' using 5 title columnheader(5) lc rgb "#34495e"
