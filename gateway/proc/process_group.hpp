#pragma once
// Boost.Process v2 initializer that puts the child in a new process group.
#include <unistd.h>

#include <boost/process/v2/posix/default_launcher.hpp>

namespace porter::proc {

struct new_process_group {
  template <typename Launcher>
  boost::process::v2::error_code on_exec_setup(Launcher&, const boost::process::v2::filesystem::path&,
                                               const char* const*) {
    if (::setpgid(0, 0) == -1) return boost::process::v2::detail::get_last_error();
    return {};
  }
};

}  // namespace porter::proc
