#include "builders/builder.hpp"
#include "builders/buildpacks_builder.hpp"
#include "builders/dockerfile_builder.hpp"

namespace porter::builders {

BuilderRegistry BuilderRegistry::with_defaults() {
  BuilderRegistry registry;
  registry.add(std::make_unique<DockerfileBuilder>());  // auto: a Dockerfile wins
  registry.add(std::make_unique<BuildpacksBuilder>());
  return registry;
}

void BuilderRegistry::add(std::unique_ptr<Builder> builder) { builders_.push_back(std::move(builder)); }

Result<const Builder*> BuilderRegistry::choose(const BuildRequest& request) const {
  const auto& method = request.app_config.build.method;
  std::string tried;
  for (const auto& builder : builders_) {
    if (method != "auto" && builder->name() != method) continue;
    if (builder->detect(request)) return builder.get();
    tried += (tried.empty() ? "" : ", ") + builder->name();
  }
  if (tried.empty()) return fail("no builder named '" + method + "'");
  return fail("nothing to build: no " + request.app_config.build.dockerfile + " found (tried: " + tried + ")");
}

}  // namespace porter::builders
