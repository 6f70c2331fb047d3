// varan: the human CLI. Each subcommand lives in its own file (age_cmd.cpp, ...).
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/age_cmd.h"
#include "cli/compose_cmd.h"
#include "cli/deploy_cmd.h"
#include "cli/secrets_cmd.h"

int main(int argc, char** argv) {
  CLI::App app{"Varan: a native, secrets-aware deploy agent for Docker hosts", "varan"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(VARAN_VERSION));
  std::vector<std::function<std::optional<int>()>> commands;
  commands.push_back(varan::cli::add_age_command(app));
  commands.push_back(varan::cli::add_secrets_command(app));
  commands.push_back(varan::cli::add_compose_command(app));
  commands.push_back(varan::cli::add_deploy_command(app));
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "varan: error: " << e.what() << " (see varan --help)\n";
    return 1;
  }
  for (auto& run : commands)
    if (auto status = run()) return *status;
  return 1;
}
