#pragma once
// Everything a deploy or release says goes to the user as it happens (through
// the hook as `remote:` lines, or straight to an SSH command's output) and to
// the deploy's log file. Config var values never appear: they are masked.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "proc/process.hpp"
#include "util/clock.hpp"

namespace porter::pipeline {

class Progress {
 public:
  // `write` returns false once the user is gone; the job is then cancelled.
  using Writer = std::function<bool(const std::string& text)>;
  Progress(Writer write, std::shared_ptr<proc::CancelToken> cancel)
      : write_(std::move(write)), cancel_(std::move(cancel)) {}

  // Also copy lines to this file from now on (the deploy log).
  void log_to(const std::filesystem::path& file);
  void stop_logging() { log_.reset(); }
  // Replace these config var values with ***** wherever they appear.
  void mask(const std::map<std::string, std::string>& config_vars);
  // `text` as it may leave the job: for the gateway log, the database and
  // hooks, where a failure's text goes besides this progress.
  std::string masked(std::string text) const;

  void stage(const std::string& text) { line("-----> " + text); }   // a step starts
  void detail(const std::string& text) { line("       " + text); }  // output inside a step
  void warning(const std::string& text) { line(" !     " + text); }
  void verdict(const std::string& text) { line("=====> " + text); }  // how it ended
  void line(const std::string& text);
  proc::LineSink detail_sink() {
    return [this](const std::string& text) { detail(text); };
  }
  const proc::CancelToken& cancel() const { return *cancel_; }

 private:
  Writer write_;
  std::shared_ptr<proc::CancelToken> cancel_;
  std::unique_ptr<std::ofstream> log_;
  std::vector<std::string> secrets_;
};

using util::seconds_since;  // "12.3 s"

}  // namespace porter::pipeline
