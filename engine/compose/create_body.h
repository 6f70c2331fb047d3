/// What a service's container is created with: the POST /containers/create body (command,
/// environment, mounts, ports, resources, networking, ...) and the labels compose puts on it,
/// which later runs read back to tell what a container is and whether it is current.
#pragma once

#include <map>
#include <string>

#include "engine/compose/model.h"

namespace varan::compose {

/// The POST /containers/create body for replica `number` of `service`. `anonymous` maps
/// a target path to the anonymous volume to reuse there (from the container replaced).
Json create_body(const Project& project, const Service& service, int number,
                 const std::string& image_id,
                 const std::map<std::string, std::string>& anonymous = {},
                 const std::string& replaces = "", const std::string& api_version = "1.41");

/// The labels every container of `service` carries (user labels and compose's).
std::map<std::string, std::string> container_labels(const Project& project, const Service& service,
                                                    int number, const std::string& image_id);

}  // namespace varan::compose
