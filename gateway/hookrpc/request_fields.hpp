#pragma once
// Names of the Field frames in a hook request.
namespace porter::hookrpc::field {

inline constexpr const char* session = "session";        // token of the SSH session that spawned receive-pack
inline constexpr const char* repo_dir = "repo_dir";
inline constexpr const char* ref_update = "ref";          // "<old> <new> <ref>", once per ref
inline constexpr const char* push_option = "push_option";  // once per -o option
inline constexpr const char* git_env_prefix = "env:";     // quarantine variables, "env:GIT_..."

}  // namespace porter::hookrpc::field
