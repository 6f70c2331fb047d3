/// Encrypting and decrypting a whole tree: which leaves the rules encrypt (suffixes,
/// regexes, comment regexes, applied to every key on the path), the additional data of
/// each value, and the MAC over the values in file order.
#pragma once

#include <string>

#include "secrets/sops/cipher.h"
#include "secrets/sops/metadata.h"

namespace varan::sops {

struct Tree {
  Branches branches;
  Metadata metadata;
};

/// Encrypts every leaf the rules select, in place; returns the MAC (128 uppercase hex digits).
std::string encrypt_tree(Branches& branches, const Metadata& md, DataKey key);

/// Decrypts in place; returns the MAC computed over the plaintext. Throws
/// Error(kErrorDecryptingTree) when a value fails to decrypt.
std::string decrypt_tree(Branches& branches, const Metadata& md, DataKey key);

/// Encrypts the tree and sets lastmodified (now) and the encrypted MAC in its metadata.
void seal_tree(Tree& tree, DataKey key);

/// Decrypts the tree and checks the MAC unless `ignore_mac` (Error(kMacMismatch) otherwise).
void open_tree(Tree& tree, DataKey key, bool ignore_mac);

}  // namespace varan::sops
