#include "base/paths.h"

#include <cstdlib>

#ifndef TELEMARK_SOURCE_HOME
#error "TELEMARK_SOURCE_HOME must be defined by the build"
#endif

namespace telemark {

const std::string& home_dir() {
  static const std::string dir = [] {
    const char* env = std::getenv("TELEMARK_HOME");
    return std::string(env && *env ? env : TELEMARK_SOURCE_HOME);
  }();
  return dir;
}

std::string home_path(const std::string& relative) { return home_dir() + "/" + relative; }

}  // namespace telemark
