// Where Telemark finds its read-only reference data (data/, rules/).
// TELEMARK_HOME if set, else the source tree the program was built from.
// Thread-safe (reads the environment once).
#pragma once

#include <string>

namespace telemark {

const std::string& home_dir();
// home_dir() + "/" + relative
std::string home_path(const std::string& relative);

}  // namespace telemark
