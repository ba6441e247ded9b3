#include "scoring/report.h"

#include <fmt/format.h>

namespace telemark::scoring {
namespace {

constexpr int kW = 420, kH = 360, kPad = 48;

double px(double v) { return kPad + v * (kW - kPad - 16); }
double py(double v) { return kH - kPad - v * (kH - kPad - 16); }

std::string polyline(const std::vector<CurvePoint>& pts, const char* color, const char* extra = "") {
  std::string s = fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" {} points=\"", color, extra);
  for (const auto& p : pts) s += fmt::format("{:.1f},{:.1f} ", px(p.x), py(p.y));
  s += "\"/>\n";
  return s;
}

std::string chart(const std::string& title, const std::string& xlabel, const std::string& ylabel,
                  const std::vector<CurvePoint>& curve, const std::vector<CurvePoint>& ideal, const std::string& legend) {
  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" "
      "aria-label=\"{}\">\n<title>{}</title>\n",
      kW, kH, kW, kH, html_escape(title), html_escape(title));
  s += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"#fafafa\" stroke=\"#999\"/>\n",
                   px(0), py(1), px(1) - px(0), py(0) - py(1));
  for (int i = 0; i <= 10; ++i) {
    double v = i / 10.0;
    s += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#e4e4e4\"/>\n", px(v), py(0), px(v), py(1));
    s += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#e4e4e4\"/>\n", px(0), py(v), px(1), py(v));
    if (i % 2 == 0) {
      s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\" text-anchor=\"middle\">{}%</text>\n", px(v), py(0) + 16, i * 10);
      s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\" text-anchor=\"end\">{}%</text>\n", px(0) - 6, py(v) + 4, i * 10);
    }
  }
  s += fmt::format("<text x=\"{:.1f}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\">{}</text>\n", (px(0) + px(1)) / 2, kH - 8, html_escape(xlabel));
  s += fmt::format("<text x=\"14\" y=\"{:.1f}\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 14 {:.1f})\">{}</text>\n",
                   (py(0) + py(1)) / 2, (py(0) + py(1)) / 2, html_escape(ylabel));
  s += polyline({{0, 0}, {1, 1}}, "#888", "stroke-dasharray=\"5,4\"");
  if (!ideal.empty()) s += polyline(ideal, "#7fb07f", "stroke-dasharray=\"2,3\"");
  s += polyline(curve, "#1f5fbf");
  s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\" fill=\"#1f5fbf\">{}</text>\n", px(0.45), py(0.08), html_escape(legend));
  s += "</svg>\n";
  return s;
}

std::string pct(double v) { return fmt::format("{:.1f}%", v * 100); }

}  // namespace

std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string html_report(const Evaluation& e, const ReportContext& c) {
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  h += fmt::format("<title>{}</title>\n", html_escape(c.title));
  h += "<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:960px}"
       "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
       "th{background:#f0f0f0}td:first-child,th:first-child{text-align:left}.charts{display:flex;flex-wrap:wrap;gap:2em}"
       ".warn{color:#a04000}figure{margin:0}figcaption{font-size:90%;color:#555}</style>\n</head>\n<body>\n";
  h += fmt::format("<h1>{}</h1>\n", html_escape(c.title));
  h += "<table>\n";
  auto row = [&](const std::string& k, const std::string& v) {
    h += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", html_escape(k), html_escape(v));
  };
  if (!c.model.empty()) row("model", c.model + (c.trees ? fmt::format(" ({} trees)", c.trees) : ""));
  if (!c.data.empty()) row("data", c.data);
  if (!c.target.empty()) row("target", c.target + " = " + c.positive);
  row("rows", std::to_string(e.rows));
  row("positives", fmt::format("{} ({})", e.positives, pct(e.base_rate)));
  row("AUC", fmt::format("{:.4f}", e.auc));
  if (c.training_cv_auc > 0) row("cross-validated AUC at training", fmt::format("{:.4f}", c.training_cv_auc));
  for (const auto& l : e.lift)
    row(fmt::format("top {:.0f}% contacted", l.share * 100),
        fmt::format("lift {:.2f}, finds {} of the positives", l.lift, pct(l.gain)));
  row("log loss / Brier", fmt::format("{:.4f} / {:.4f}", e.logloss, e.brier));
  h += "</table>\n";
  for (const auto& n : c.notes) h += fmt::format("<p class=\"warn\">{}</p>\n", html_escape(n));

  std::vector<CurvePoint> ideal;
  if (e.rows) ideal = {{0, 0}, {e.base_rate, 1}, {1, 1}};
  h += "<div class=\"charts\">\n<figure>\n";
  h += chart("Cumulative gain", "prospects contacted, best scores first", "positives found", e.gain_curve, ideal, "model");
  h += "<figcaption>Cumulative gain: the share of all positives found when calling the best-scored prospects first. "
       "Dashed grey: calling at random; dotted green: a perfect score.</figcaption>\n</figure>\n<figure>\n";
  h += chart("ROC curve", "false positive rate", "true positive rate", e.roc, {},
             fmt::format("model, AUC {:.3f}", e.auc));
  h += "<figcaption>ROC curve. Dashed grey: no better than chance (AUC 0.5).</figcaption>\n</figure>\n</div>\n";

  h += "<h2>Gain table by decile</h2>\n<table>\n<tr><th>decile</th><th>rows</th><th>positives</th><th>rate</th>"
       "<th>lift</th><th>cumulative gain</th><th>cumulative lift</th><th>scores</th></tr>\n";
  for (const auto& g : e.gain)
    h += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.2f}</td><td>{}</td><td>{:.2f}</td>"
                     "<td>{:.4f} &ndash; {:.4f}</td></tr>\n",
                     g.decile, g.rows, g.positives, pct(g.rate), g.lift, pct(g.cumulative_gain), g.cumulative_lift,
                     g.min_score, g.max_score);
  h += "</table>\n<h2>Calibration by decile of predicted probability</h2>\n<table>\n<tr><th>bin</th><th>rows</th>"
       "<th>mean predicted</th><th>observed rate</th></tr>\n";
  for (const auto& k : e.calibration)
    h += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n", k.bin, k.rows, pct(k.mean_predicted),
                     pct(k.observed_rate));
  h += "</table>\n</body>\n</html>\n";
  return h;
}

}  // namespace telemark::scoring
