/// The difference between a loaded project and what the engine runs, as a value: a list of
/// actions (create a network or volume, create, recreate, start or remove a container,
/// keep one, warn about an orphan), each with the reason. Made without touching the engine,
/// so it can be printed (`up --dry-run`) and tested from recorded state.
#pragma once

#include <ctime>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/compose/model.h"
#include "engine/types.h"

namespace varan::engine {
class Client;
}

namespace varan::compose {

/// What the engine reports for a project.
struct Observed {
  std::vector<engine::ContainerSummary> containers;  // every container with the project label
  std::map<std::string, std::string> image_ids;      // image reference -> ID, "" when not present
  std::map<std::string, long long> image_tagged;     // reference -> when tagged here (Unix s)
  std::set<std::string> networks;                    // names known to exist
  std::set<std::string> volumes;                     // names known to exist
};

/// When an image was tagged on this engine (its inspect's Metadata.LastTagTime), in Unix
/// seconds; 0 when it was never tagged here or the time can't be read.
long long image_tagged_at(const Json& image_inspect);

/// Reads the state a plan needs with as few calls as possible: one container list, one
/// inspect per distinct image, and a network or volume list only when a resource the
/// project needs is not already seen on one of its containers.
Observed observe(engine::Client& client, const Project& project);

enum class Op {
  kPull,
  kCreateNetwork,
  kCreateVolume,
  kCreate,
  kRecreate,
  kStart,
  kRestart,
  kRemove,
  kRename,  // to `name`: finishes a recreate that was interrupted
  kKeep,
  kOrphan
};

struct Action {
  Op op;
  std::string service;    // "" for pulls, networks and volumes
  int number = 0;         // container number
  std::string container;  // the existing container's ID
  std::string name;       // container, network or volume name, or image reference
  std::string reason;
};

enum class RecreatePolicy { kDiverged, kForce, kNever };

struct PlanOptions {
  RecreatePolicy recreate = RecreatePolicy::kDiverged;
  bool remove_orphans = false;
  std::vector<std::string> services;  // only these and what they depend on; empty: all
  std::string pull;                   // --pull: always, missing, never; "" follows pull_policy
  long long now = static_cast<long long>(std::time(nullptr));  // for pull_policy refresh
};

struct Plan {
  std::vector<Action> actions;
  /// True when applying would change anything (keeps and orphan warnings change nothing).
  bool changes() const;
  /// One line per action: "recreate web (demo-web-1): environment changed".
  std::string describe() const;
  std::vector<const Action*> for_service(const std::string& service) const;
};

Plan make_plan(const Project& project, const Observed& observed, const PlanOptions& opts);

/// The services `opts.services` selects with everything they depend on, or all.
std::set<std::string> selected_services(const Project& project,
                                        const std::vector<std::string>& names);

/// The project's non one-off containers of `service`, by container number.
std::vector<const engine::ContainerSummary*> service_containers(const Observed& o,
                                                                const std::string& service);

int container_number(const engine::ContainerSummary& c);

const char* op_name(Op op);

}  // namespace varan::compose
