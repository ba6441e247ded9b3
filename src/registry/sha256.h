// SHA-256 for source-file and snapshot checksums, over OpenSSL's EVP API
// (which uses the CPU's SHA extensions: about 1.5 GB/s here, so hashing a
// 1.1 GB registry file costs well under a second). Used for registry
// sources and snapshots, and by the lead import for its file checksum.
// A Sha256 object belongs to one thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace telemark::registry {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, size_t size);
  std::array<uint8_t, 32> finish();

 private:
  void* ctx_;
};

std::array<uint8_t, 32> sha256(std::string_view bytes);
std::string to_hex(const uint8_t* bytes, size_t n);

}  // namespace telemark::registry
