/// The whole-tree layer: walks a tree, encrypting or decrypting (value_cipher.h) the leaves
/// the encryption rule selects (encryption_rule.h, applied to every key on the path), with
/// each value's additional data, and computes the MAC over the values in file order.
#pragma once

#include <string>

#include "secrets/sops/metadata.h"
#include "secrets/sops/value_cipher.h"

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
