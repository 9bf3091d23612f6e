#pragma once
// Sizes and CPU amounts as users write them (porter.yaml `resources:`,
// `disk:`, ps:resize), and as Kubernetes wants them.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace porter::config {

// "512M", "1.5G", "512Mi", "5GB", "1048576" (bytes): K, M, G, T are binary
// units, as Docker and podman read them; at most 1 PiB. nullopt if malformed.
std::optional<std::uint64_t> parse_size(std::string_view text);

// "0.5", "2", "250m": thousandths of a CPU, from 1m to 64 CPUs.
std::optional<int> parse_millicpu(std::string_view text);

// Kubernetes quantities: "512Mi", "1536Mi", "5Gi"; "500m", "2".
std::string kube_memory(std::uint64_t bytes);
std::string kube_cpu(int millicpu);

}  // namespace porter::config
