#pragma once
// Talks to one Kubernetes cluster through kubectl, not an API client of our
// own, so that every kubeconfig the user's kubectl accepts works: client
// certificates, bearer tokens, exec credential plugins (EKS, GKE). Every
// object is applied server-side with the field manager "porter".
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "proc/process.hpp"
#include "util/result.hpp"

namespace porter::cluster {

class Kubectl {
 public:
  // `context` empty: the kubeconfig's current context.
  Kubectl(std::filesystem::path program, std::filesystem::path kubeconfig, std::string context, std::string ns)
      : program_(std::move(program)), kubeconfig_(std::move(kubeconfig)), context_(std::move(context)),
        namespace_(std::move(ns)) {}

  // A short request in the namespace: its output lines, or kubectl's error
  // as one line ("Unable to connect to the server: ...").
  Result<std::vector<std::string>> run(std::vector<std::string> args) const;
  // `get ARGS -o json`, parsed (JSON is YAML).
  Result<YAML::Node> get(std::vector<std::string> args) const;
  Result<> apply(const std::filesystem::path& manifests) const;
  // Deletes what `selector` selects among `kinds`, not waiting for it to go.
  Result<> remove(const std::string& kinds, const std::string& selector) const;
  // A request that runs until it ends by itself (logs -f): its lines go to
  // `sink` as they come.
  proc::RunResult stream(std::vector<std::string> args, const proc::LineSink& sink, const proc::CancelToken& cancel,
                         std::chrono::seconds timeout) const;
  // The same with kubectl's output on `stdio`, as bytes.
  proc::RunResult attach(std::vector<std::string> args, const proc::Stdio& stdio, const proc::CancelToken& cancel,
                         std::chrono::seconds timeout) const;

 private:
  proc::Command command(std::vector<std::string> args) const;

  std::filesystem::path program_;
  std::filesystem::path kubeconfig_;
  std::string context_;
  std::string namespace_;
};

}  // namespace porter::cluster
