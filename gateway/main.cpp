#include "cli.hpp"

int main(int argc, char** argv) { return porter::run_cli(argc, argv); }
