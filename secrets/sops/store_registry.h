/// The per-format registry: one factory per concrete store (each in stores/); the .cpp
/// maps Format to them for make_store() and names the formats (store.h declares those).
#pragma once

#include <memory>

#include "secrets/sops/store.h"

namespace varan::sops {

std::unique_ptr<Store> make_yaml_store(int indent);
std::unique_ptr<Store> make_json_store(int indent);
std::unique_ptr<Store> make_binary_store(int json_indent);
std::unique_ptr<Store> make_dotenv_store();
std::unique_ptr<Store> make_ini_store();

/// Shared by the stores (INI writes its values this way too): JSON text of one scalar
/// string as Go's encoding/json writes it (with <, >, & escaped).
std::string go_json_string(std::string_view s);

}  // namespace varan::sops
