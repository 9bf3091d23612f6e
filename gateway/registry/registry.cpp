#include "registry/registry.hpp"

#include <cstdio>
#include <fstream>

#include "sandbox/build_store.hpp"

namespace porter::registry {
namespace {

constexpr std::chrono::seconds kPushTimeout{3600};

std::uint64_t local_image_size(const std::string& image, const proc::CancelToken& cancel) {
  std::string size;
  auto args = sandbox::build_store_args();
  args.insert(args.end(), {"image", "inspect", "--format", "{{.Size}}", image});
  proc::run({.program = "podman", .args = std::move(args), .env = {}, .dir = {}},
            [&](const std::string& line) { size = line; }, cancel, std::chrono::seconds(60));
  try {
    return std::stoull(size);
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

Result<PublishedImage> publish(const std::string& registry, const std::string& local_image,
                               const std::string& repository, const std::string& tag,
                               const std::filesystem::path& work_dir, const proc::LineSink& output,
                               const proc::CancelToken& cancel) {
  PublishedImage image;
  image.tag_reference = registry + "/" + repository + ":" + tag;
  const auto digest_file = work_dir / "image.digest";
  auto args = sandbox::build_store_args();  // where builds leave their images, in their id mapping
  const auto map = sandbox::build_id_map_args();
  args.insert(args.end(), map.begin(), map.end());
  args.insert(args.end(), {"push", "--quiet", "--digestfile", digest_file.string(), local_image,
                           "docker://" + image.tag_reference});
  auto run = proc::run({.program = "buildah", .args = std::move(args), .env = {}, .dir = {}}, output, cancel,
                       kPushTimeout);
  if (!run.ok())
    return fail("pushing the image to " + registry + " failed" +
                (run.last_lines.empty() ? "" : ": " + run.last_lines.back()));
  std::ifstream in(digest_file);
  std::getline(in, image.digest);
  if (!image.digest.starts_with("sha256:")) return fail("the registry returned no image digest");
  image.reference = registry + "/" + repository + "@" + image.digest;
  image.size_bytes = local_image_size(local_image, cancel);
  return image;
}

void write_registries_conf(const std::filesystem::path& file, const std::string& registry) {
  std::ofstream out(file, std::ios::trunc);
  out << "unqualified-search-registries = []\n";
  if (!registry.empty()) out << "\n[[registry]]\nlocation = \"" << registry << "\"\ninsecure = true\n";
}

std::string human_size(std::uint64_t bytes) {
  char text[32];
  if (bytes >= 1000ull * 1000 * 1000)
    std::snprintf(text, sizeof text, "%.1f GB", static_cast<double>(bytes) / 1e9);
  else
    std::snprintf(text, sizeof text, "%.0f MB", static_cast<double>(bytes) / 1e6);
  return text;
}

}  // namespace porter::registry
