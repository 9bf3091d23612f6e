#pragma once
// Publishes release images to the configured OCI registry, so every release
// can be found by tag and digest and the run stage uses that exact digest.
#include <cstdint>
#include <filesystem>
#include <string>

#include "proc/process.hpp"
#include "util/result.hpp"

namespace porter::registry {

struct PublishedImage {
  std::string tag_reference;  // 127.0.0.1:5000/shop:production-3f2a91c
  std::string reference;      // 127.0.0.1:5000/shop@sha256:...
  std::string digest;         // sha256:...
  std::uint64_t size_bytes = 0;
};

// Pushes `local_image` as <registry>/<repository>:<tag>; the error is one line.
Result<PublishedImage> publish(const std::string& registry, const std::string& local_image,
                               const std::string& repository, const std::string& tag,
                               const std::filesystem::path& work_dir, const proc::LineSink& output,
                               const proc::CancelToken& cancel);

// containers registries.conf that lets buildah/podman talk plain HTTP to our
// own loopback registry, and never search public registries for short names.
void write_registries_conf(const std::filesystem::path& file, const std::string& registry);

// "1.3 GB", "812 MB"
std::string human_size(std::uint64_t bytes);

}  // namespace porter::registry
