#include "hooks/up_args.h"

#include <chrono>

#include "hooks/stack.h"

namespace varan::hooks {

UpArgs parse_extra_args(const std::vector<std::string>& args, const std::string& stack) {
  UpArgs a;
  auto value = [&](std::size_t& i, const std::string& flag) {
    if (i + 1 >= args.size())
      throw Error("stack \"" + stack + "\": extra_args: " + flag + " needs a value");
    return args[++i];
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    std::string inline_value;
    if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string::npos) {
      inline_value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    auto val = [&] { return inline_value.empty() ? value(i, arg) : inline_value; };
    if (arg == "-d" || arg == "--detach") {
    } else if (arg == "--force-recreate") {
      a.up.plan.recreate = compose::RecreatePolicy::kForce;
    } else if (arg == "--no-recreate") {
      a.up.plan.recreate = compose::RecreatePolicy::kNever;
    } else if (arg == "--remove-orphans") {
      a.up.plan.remove_orphans = true;
    } else if (arg == "--pull") {
      a.up.plan.pull = val();
    } else if (arg == "--wait") {
      a.up.apply.wait = true;
    } else if (arg == "--wait-timeout") {
      a.up.apply.wait_timeout = std::chrono::seconds(std::stol(val()));
    } else if (arg == "-t" || arg == "--timeout") {
      a.up.apply.timeout_s = std::stoi(val());
    } else if (arg.starts_with("-")) {
      throw Error("stack \"" + stack + "\": extra_args: " + arg +
                  " is not an `up` flag Varan knows (--force-recreate, --no-recreate, "
                  "--remove-orphans, --pull, --wait, --wait-timeout, -t)");
    } else {
      a.services.push_back(arg);
    }
  }
  a.up.plan.services = a.services;
  return a;
}

}  // namespace varan::hooks
