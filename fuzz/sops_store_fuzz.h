/// Shared body of the SOPS store fuzz targets: whatever a store loads must write out and
/// load back, and writing that again must give the same text (writing reaches a fixed
/// point; numbers may change kind once, as 2.0 written as 2 reads back as an int, which is
/// what sops does too). Loading it as an encrypted file may only fail with a sops error.
#pragma once

#include <cstdlib>

#include "secrets/sops/errors.h"
#include "secrets/sops/store.h"

namespace varan::sops::fuzz {

inline void check_store(Format f, const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto store = make_store(f);
  Branches docs;
  try {
    docs = store->load_plain(in);
  } catch (const Error&) {
    return;
  }
  std::string out;
  try {
    out = store->emit_plain(docs);
  } catch (const Error&) {
    return;  // e.g. a tree the format can't hold (complex values in dotenv)
  }
  Branches again = store->load_plain(out);  // must not throw: we wrote it
  if (again.size() != docs.size()) std::abort();
  if (store->emit_plain(again) != out) std::abort();
  try {
    load_encrypted(*store, in);
  } catch (const Error&) {
  }
}

}  // namespace varan::sops::fuzz
