#pragma once
// `porter hook pre-receive`: run by git inside receive-pack. Hands the push to
// the daemon and relays its progress; exits with the daemon's verdict.
namespace porter::hookrpc {

int run_pre_receive_hook();

}  // namespace porter::hookrpc
