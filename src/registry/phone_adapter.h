// Adapter from phone::PhoneNormalizer (libphonenumber, with its compiled fast
// path) to the registry loaders' NormalizeFn, so the loaders read any common
// notation with the same answers as the lead import. Built only when the
// telemark_phone library is part of the build (TELEMARK_REGISTRY_HAS_PHONE).
//
// Ownership: the returned function borrows `normalizer`, which must outlive
// it. Thread-safety: as PhoneNormalizer (normalize() is const and safe from
// many threads).
#pragma once

#include <string>

#include "registry/loader.h"

namespace telemark::phone {
class PhoneNormalizer;
}

namespace telemark::registry {

NormalizeFn phone_normalize_fn(const phone::PhoneNormalizer& normalizer, std::string default_region);

}  // namespace telemark::registry
