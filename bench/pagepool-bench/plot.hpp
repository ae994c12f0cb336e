// bench/pagepool-bench/plot.hpp: line plots through gnuplot, else matplotlib.
//
// gnuplot (Debian: gnuplot-nox) is used when it is on PATH; otherwise
// python3 with matplotlib (Debian: python3-matplotlib). With neither, the
// plot is skipped with a note on stderr: plotting is never an error.
// The output format follows the file name: .svg, or .png for anything else.
#pragma once

#include <string>
#include <vector>

namespace pagepool::bench {

struct plot_series {
  std::string name;
  std::vector<double> x;
  std::vector<double> y;
};

struct plot_spec {
  std::string title;
  std::string xlabel;
  std::string ylabel;
  bool log_x = false;
  bool integer_x = false;  // x is a count (threads): ticks at the series' x values only
  bool y_from_zero = false;  // the y axis starts at 0 (throughput)
  std::vector<plot_series> series;
};

/// Which plotter is available: "gnuplot", "matplotlib" or "" (none).
[[nodiscard]] std::string plotter_available();

/// Draws `spec` into `out` (.png or .svg). Returns false only when a plotter
/// was found and failed (with a message in err); with no plotter it prints a
/// note, sets `skipped`, and returns true.
[[nodiscard]] bool draw_plot(const plot_spec& spec, const std::string& out, bool& skipped, std::string& err);

}  // namespace pagepool::bench
