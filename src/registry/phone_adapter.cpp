#include "registry/phone_adapter.h"

#include "phone/phone.h"

namespace telemark::registry {

NormalizeFn phone_normalize_fn(const phone::PhoneNormalizer& normalizer, std::string default_region) {
  return [&normalizer, region = std::move(default_region)](std::string_view raw) -> std::optional<uint64_t> {
    const auto r = normalizer.normalize(raw, region);
    if (!r.ok) return std::nullopt;
    return r.phone.e164;
  };
}

}  // namespace telemark::registry
