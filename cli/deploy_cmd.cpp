#include "cli/deploy_cmd.h"

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "engine/client.h"
#include "hooks/deploy.h"
#include "komodo/log.h"

namespace varan::cli {

namespace {

struct DeployArgs {
  std::string file;
  std::vector<std::string> stacks;
  bool if_changed = false, dry_run = false, json = false;
  std::string root;
  std::vector<std::string> safe_directories;
};

nlohmann::json to_json(const std::string& name, const hooks::DeployResult& r) {
  nlohmann::json logs = nlohmann::json::array();
  for (const auto& l : r.logs)
    logs.push_back(komodo::to_json(l));
  auto commit = [](const git::CommitInfo& c) {
    return nlohmann::json{{"hash", c.hash}, {"message", c.message}};
  };
  return {{"stack", name},
          {"success", r.success},
          {"changed", r.changed},
          {"error", r.error},
          {"services", r.services_touched},
          {"containers", r.touched},
          {"commit_before", commit(r.commit_before)},
          {"commit_after", commit(r.commit_after)},
          {"run_directory", r.run_directory},
          {"logs", logs}};
}

void print_text(const std::string& name, const hooks::DeployResult& r) {
  std::string summary;
  if (!r.success)
    summary = "failed: " + r.error;
  else if (!r.changed)
    summary = "no changes";
  else if (r.services_touched.empty())
    summary = "deployed";
  else {
    summary = "deployed; services touched:";
    for (const auto& s : r.services_touched)
      summary += " " + s;
  }
  std::cout << "stack " << name << ": " << summary << "\n";
  if (r.success && !r.error.empty()) std::cout << "  warning: " << r.error << "\n";
}

void print_log(const hooks::Log& l) {
  std::cout << "== " << l.stage << (l.success ? "" : " (failed)") << ": " << l.command << "\n";
  for (const std::string* text : {&l.stdout_text, &l.stderr_text}) {
    if (text->empty()) continue;
    std::cout << *text;
    if (text->back() != '\n') std::cout << "\n";
  }
}

int run(const DeployArgs& a) {
  hooks::StackFile f = hooks::load_stack_file(a.file);
  for (const auto& w : f.warnings)
    std::cerr << "warning: " << w << "\n";
  hooks::DeployOptions o;
  o.if_changed = a.if_changed;
  o.dry_run = a.dry_run;
  const char* env_root = std::getenv("VARAN_ROOT");
  o.root = !a.root.empty()             ? a.root
           : env_root && *env_root     ? std::string(env_root) + "/stacks"
           : !f.root_directory.empty() ? f.root_directory + "/stacks"
                                       : "/etc/varan/stacks";
  o.safe_directories = f.safe_directories;
  o.safe_directories.insert(o.safe_directories.end(), a.safe_directories.begin(),
                            a.safe_directories.end());
  if (!a.json) o.on_log = print_log;
  for (const auto& want : a.stacks) {
    bool found = false;
    for (const auto& s : f.stacks)
      found = found || s.name == want;
    if (!found) throw hooks::Error(a.file + ": no stack named \"" + want + "\"");
  }
  engine::Client client;
  int status = 0;
  nlohmann::json all = nlohmann::json::array();
  for (const auto& s : f.stacks) {
    if (!a.stacks.empty() && std::find(a.stacks.begin(), a.stacks.end(), s.name) == a.stacks.end())
      continue;
    hooks::DeployResult r = hooks::deploy(s, f.variables, client, o);
    if (!r.success) status = 1;
    if (a.json)
      all.push_back(to_json(s.name, r));
    else
      print_text(s.name, r);
  }
  if (a.json) std::cout << all.dump(2) << "\n";
  return status;
}

}  // namespace

std::function<std::optional<int>()> add_deploy_command(CLI::App& app) {
  auto a = std::make_shared<DeployArgs>();
  auto* cmd = app.add_subcommand(
      "deploy", "Deploy the stacks of a Komodo-style stack file: repo, pre_deploy, compose up");
  cmd->add_option("file", a->file, "Stack file (.toml with [[stack]] entries, or .json)")
      ->required();
  cmd->add_option("--stack", a->stacks, "Only these stacks (repeatable; default: all)");
  cmd->add_flag("--if-changed", a->if_changed,
                "Plan first and change nothing when the plan is empty");
  cmd->add_flag("--dry-run", a->dry_run,
                "Pull the repo and show the plan; run no shell hook, write and apply nothing");
  cmd->add_flag("--json", a->json, "Print the results and logs as JSON");
  cmd->add_option("--root", a->root,
                  "Where stacks live (default $VARAN_ROOT/stacks, else /etc/varan/stacks)");
  cmd->add_option("--safe-directory", a->safe_directories,
                  "Trust this repo folder whoever owns it (repeatable; \"*\" for all)");
  return [=]() -> std::optional<int> {
    if (!cmd->parsed()) return std::nullopt;
    std::signal(SIGPIPE, SIG_IGN);
    try {
      return run(*a);
    } catch (const std::exception& e) {
      std::cerr << "varan deploy: error: " << e.what() << "\n";
      return 1;
    }
  };
}

}  // namespace varan::cli
