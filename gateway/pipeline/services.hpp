#pragma once
// What deploy and release jobs need from the daemon.
#include "builder.hpp"
#include "cluster/driver.hpp"
#include "config/gateway_config.hpp"
#include "pipeline/env_locks.hpp"
#include "pipeline/lifecycle_hooks.hpp"
#include "pipeline/sessions.hpp"
#include "proxy/nginx_proxy.hpp"
#include "state/store.hpp"

namespace porter::pipeline {

struct Services {
  const config::GatewayConfig& config;
  state::Store& store;
  SessionRegistry& sessions;
  EnvLocks& locks;
  const builders::BuilderRegistry& builders;
  cluster::Driver& driver;
  proxy::NginxProxy& proxy;
  const LifecycleHooks& hooks;
};

}  // namespace porter::pipeline
