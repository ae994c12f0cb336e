// bench/pagepool-bench/plot.cpp: writes the data and a script for the plotter
// into a scratch directory and runs it.
#include "plot.hpp"

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

namespace pagepool::bench {

namespace {

bool on_path(const std::string& prog) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return false;
  std::stringstream ss(path);
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (dir.empty()) continue;
    const std::string p = dir + "/" + prog;
    if (::access(p.c_str(), X_OK) == 0) return true;
  }
  return false;
}

/// A shell word: single-quoted, with ' written as '\''.
std::string sh_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

/// A gnuplot string literal (single quotes; '' inside).
std::string gp_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("''") : std::string(1, c);
  return q + "'";
}

bool is_svg(const std::string& out) {
  return out.size() >= 4 && out.compare(out.size() - 4, 4, ".svg") == 0;
}

class scratch {
 public:
  scratch() {
    std::string t = (std::filesystem::temp_directory_path() / "pagepool-plot-XXXXXX").string();
    if (::mkdtemp(t.data()) != nullptr) dir_ = t;
  }
  ~scratch() {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  scratch(const scratch&) = delete;
  scratch& operator=(const scratch&) = delete;
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

bool run_gnuplot(const plot_spec& spec, const std::string& out, const scratch& s, std::string& err) {
  const auto data = s.dir() / "plot.dat";
  const auto script = s.dir() / "plot.gp";
  {
    std::ofstream d(data);
    for (const auto& ser : spec.series) {
      d << "# " << ser.name << "\n";
      for (std::size_t i = 0; i < ser.x.size() && i < ser.y.size(); ++i) d << ser.x[i] << ' ' << ser.y[i] << '\n';
      d << "\n\n";  // a new index
    }
  }
  std::ofstream g(script);
  if (is_svg(out))
    g << "set terminal svg size 900,560 dynamic font 'sans,12'\n";
  else
    g << "set terminal pngcairo size 900,560 font 'sans,11'\n";
  g << "set output " << gp_quote(out) << "\n"
    << "set title " << gp_quote(spec.title) << " noenhanced\n"
    << "set xlabel " << gp_quote(spec.xlabel) << " noenhanced\n"
    << "set ylabel " << gp_quote(spec.ylabel) << " noenhanced\n"
    << "set key outside right top noenhanced\n"
    << "set grid\n";
  if (spec.log_x) g << "set logscale x\n";
  if (spec.integer_x) {
    std::set<double> xs;
    for (const auto& ser : spec.series) xs.insert(ser.x.begin(), ser.x.end());
    g << "set xtics (";
    bool first = true;
    for (const double x : xs) {
      g << (first ? "" : ", ") << static_cast<long long>(x);
      first = false;
    }
    g << ")\n";
    if (!xs.empty()) g << "set xrange [" << *xs.begin() - 0.5 << ":" << *xs.rbegin() + 0.5 << "]\n";
  }
  if (spec.y_from_zero) g << "set yrange [0:*]\n";
  g << "plot ";
  for (std::size_t i = 0; i < spec.series.size(); ++i) {
    if (i != 0) g << ", \\\n     ";
    g << gp_quote(data.string()) << " index " << i << " using 1:2 with linespoints lw 2 pt " << (i % 13) + 1
      << " title " << gp_quote(spec.series[i].name);
  }
  g << "\n";
  g.close();
  const std::string cmd = "gnuplot " + sh_quote(script.string()) + " 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    err = "gnuplot failed on " + script.string();
    return false;
  }
  return true;
}

bool run_matplotlib(const plot_spec& spec, const std::string& out, const scratch& s, std::string& err) {
  nlohmann::json j;
  j["title"] = spec.title;
  j["xlabel"] = spec.xlabel;
  j["ylabel"] = spec.ylabel;
  j["log_x"] = spec.log_x;
  j["integer_x"] = spec.integer_x;
  j["y_from_zero"] = spec.y_from_zero;
  j["out"] = out;
  for (const auto& ser : spec.series) j["series"].push_back({{"name", ser.name}, {"x", ser.x}, {"y", ser.y}});
  const auto spec_path = s.dir() / "plot.json";
  const auto script = s.dir() / "plot.py";
  std::ofstream(spec_path) << j.dump();
  std::ofstream(script) << "import json, sys\n"
                           "import matplotlib\n"
                           "matplotlib.use('Agg')\n"
                           "import matplotlib.pyplot as plt\n"
                           "s = json.load(open(sys.argv[1]))\n"
                           "fig, ax = plt.subplots(figsize=(9, 5.6))\n"
                           "for ser in s['series']:\n"
                           "    ax.plot(ser['x'], ser['y'], marker='o', label=ser['name'])\n"
                           "if s['log_x']: ax.set_xscale('log')\n"
                           "if s['integer_x']:\n"
                           "    ax.set_xticks(sorted({x for ser in s['series'] for x in ser['x']}))\n"
                           "if s['y_from_zero']: ax.set_ylim(bottom=0)\n"
                           "ax.set_title(s['title']); ax.set_xlabel(s['xlabel']); ax.set_ylabel(s['ylabel'])\n"
                           "ax.grid(True); ax.legend(loc='best')\n"
                           "fig.tight_layout(); fig.savefig(s['out'])\n";
  const std::string cmd = "python3 " + sh_quote(script.string()) + " " + sh_quote(spec_path.string()) + " 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    err = "matplotlib failed on " + script.string();
    return false;
  }
  return true;
}

}  // namespace

std::string plotter_available() {
  if (on_path("gnuplot")) return "gnuplot";
  if (on_path("python3") && std::system("python3 -c 'import matplotlib' >/dev/null 2>&1") == 0) return "matplotlib";
  return "";
}

bool draw_plot(const plot_spec& spec, const std::string& out, bool& skipped, std::string& err) {
  skipped = false;
  const std::string which = plotter_available();
  if (which.empty()) {
    std::fprintf(stderr,
                 "pagepool-bench: no plotter found (install gnuplot-nox or python3-matplotlib); %s not drawn\n",
                 out.c_str());
    skipped = true;
    return true;
  }
  scratch s;
  if (s.dir().empty()) {
    err = "cannot make a scratch directory for the plot";
    return false;
  }
  return which == "gnuplot" ? run_gnuplot(spec, out, s, err) : run_matplotlib(spec, out, s, err);
}

}  // namespace pagepool::bench
