// telemark generate: synthetic data for the demo, tests and benchmarks.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/common.h"
#include "leads/generator.h"
#include "scoring/synthetic.h"

namespace telemark::cli {
namespace {

const CommandRegistration reg(90, [](CLI::App& app, GlobalOptions&) {
  auto* gen = app.add_subcommand("generate", "Generate synthetic data (demo, tests, benchmarks)");
  gen->require_subcommand(1);
  auto opt = std::make_shared<leads::GeneratorOptions>();
  auto out = std::make_shared<std::string>();
  auto delimiter = std::make_shared<std::string>(";");
  auto* leads_cmd = gen->add_subcommand("leads", "A messy prospect list (US, CA, IT, UK numbers in every notation)");
  leads_cmd->add_option("file", *out, "CSV file to write")->required();
  leads_cmd->add_option("--rows", opt->rows, "Number of rows")->capture_default_str();
  leads_cmd->add_option("--seed", opt->seed, "Random seed")->capture_default_str();
  leads_cmd->add_option("--delimiter", *delimiter, "Field delimiter: ; , or tab")->capture_default_str();
  leads_cmd->add_flag("--latin1", opt->latin1, "Write Latin-1 instead of UTF-8");
  auto uniform = std::make_shared<bool>(false);
  leads_cmd->add_flag("--uniform", *uniform, "Every row has exactly the header's columns (no trailing empties)");
  leads_cmd->add_option("--invalid-share", opt->invalid_share, "Share of invalid numbers")->capture_default_str();
  leads_cmd->add_option("--duplicate-share", opt->duplicate_share, "Share of repeated numbers")->capture_default_str();
  leads_cmd->callback([opt, out, delimiter, uniform] {
    opt->ragged = !*uniform;
    const std::string& d = *delimiter;
    if (d == "tab") opt->delimiter = '\t';
    else if (d.size() == 1) opt->delimiter = d[0];
    else throw CliError("--delimiter " + d + ": expected one character or 'tab'", kExitUsage);
    auto stats = leads::generate_leads_csv(*out, *opt);
    if (!stats.ok()) throw CliError(stats.error().message, kExitInput);
    std::fprintf(stderr, "wrote %s: %llu rows (%llu invalid numbers, %llu repeated numbers)\n", out->c_str(),
                 static_cast<unsigned long long>(stats->rows), static_cast<unsigned long long>(stats->invalid),
                 static_cast<unsigned long long>(stats->duplicates));
  });

  auto so = std::make_shared<scoring::SyntheticOptions>();
  auto outcomes_out = std::make_shared<std::string>();
  auto* outcomes = gen->add_subcommand(
      "outcomes", "A past campaign's outcomes table (bank-telemarketing shape, target y = yes/no)");
  outcomes->add_option("file", *outcomes_out, "CSV file to write (';'-separated)")->required();
  outcomes->add_option("--rows", so->rows, "Number of rows")->capture_default_str();
  outcomes->add_option("--seed", so->seed, "Random seed")->capture_default_str();
  outcomes->add_flag("--leak", so->leak_column, "Add call_seconds, a column known only after the call");
  outcomes->callback([so, outcomes_out] {
    auto t = scoring::make_synthetic(*so);
    if (auto s = scoring::write_table_csv(t.table, *outcomes_out); !s.ok())
      throw CliError(s.error().message, kExitInput);
    uint64_t yes = 0;
    for (auto l : t.label) yes += l;
    std::fprintf(stderr, "wrote %s: %llu rows, %llu with y=yes\n", outcomes_out->c_str(),
                 static_cast<unsigned long long>(t.label.size()), static_cast<unsigned long long>(yes));
  });
});

}  // namespace
}  // namespace telemark::cli
