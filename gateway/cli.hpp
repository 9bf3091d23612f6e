#pragma once
// The `porter` command line: `serve` (the default) and `hook pre-receive`.
namespace porter {

int run_cli(int argc, char** argv);

}  // namespace porter
