#pragma once
// Everything a deploy says goes to the pusher (through the hook, as `remote:`
// lines, as it happens) and to the deploy's log file.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "hookrpc/connection.hpp"
#include "proc/process.hpp"

namespace porter::pipeline {

class Progress {
 public:
  Progress(hookrpc::Connection& hook, std::shared_ptr<proc::CancelToken> cancel)
      : hook_(hook), cancel_(std::move(cancel)) {}

  // Also copy lines to this file from now on (the deploy log).
  void log_to(const std::filesystem::path& file);
  void stop_logging() { log_.reset(); }

  void stage(const std::string& text) { line("-----> " + text); }   // a step starts
  void detail(const std::string& text) { line("       " + text); }  // output inside a step
  void verdict(const std::string& text) { line("=====> " + text); }  // how the push ended
  void line(const std::string& text);
  proc::LineSink detail_sink() {
    return [this](const std::string& text) { detail(text); };
  }

 private:
  hookrpc::Connection& hook_;
  std::shared_ptr<proc::CancelToken> cancel_;
  std::unique_ptr<std::ofstream> log_;
};

// "12.3 s"
std::string seconds_since(std::chrono::steady_clock::time_point start);

}  // namespace porter::pipeline
