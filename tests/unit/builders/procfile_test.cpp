#include "builders/procfile.hpp"

#include <gtest/gtest.h>

namespace porter::builders {
namespace {

TEST(Procfile, ParsesTypesAndCommands) {
  auto parsed = parse_procfile("# processes\nweb: bundle exec puma -p $PORT\n\nworker:python worker.py  \r\nrelease: bin/migrate\n");
  ASSERT_TRUE(parsed) << parsed.error().message;
  const auto& types = *parsed;
  ASSERT_EQ(types.size(), 3u);
  EXPECT_EQ(types.at("web"), "bundle exec puma -p $PORT");
  EXPECT_EQ(types.at("worker"), "python worker.py");
  EXPECT_EQ(types.at("release"), "bin/migrate");
}

// A 60,000-character line (under the 64 KiB cap) once overflowed the stack
// of std::regex and killed the gateway (found by fuzz/procfile_fuzz.cpp).
TEST(Procfile, ALongLineIsParsedWithoutRecursion) {
  const std::string command(60000, 'x');
  auto parsed = parse_procfile("web: " + command + "\n");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->at("web"), command);
}

TEST(Procfile, ErrorsNameTheLine) {
  auto parsed = parse_procfile("web: ok\nnot a process line\n");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message, "Procfile line 2: expected '<type>: <command>'");
  EXPECT_FALSE(parse_procfile("web:\n"));
  auto twice = parse_procfile("web: a\nweb: b\n");
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().message, "Procfile line 2: process type 'web' is defined twice");
}

TEST(ReleaseYaml, ReadsDefaultProcessTypes) {
  auto parsed = parse_release_yaml("---\naddons: []\ndefault_process_types:\n  web: npm start\n  worker: node w.js\n");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->at("web"), "npm start");
  EXPECT_EQ(parsed->size(), 2u);
}

TEST(ReleaseYaml, EmptyOrMissingMeansNone) {
  for (const auto* text : {"", "{}", "--- {}\n", "default_process_types: {}\n", "default_process_types:\n"}) {
    auto parsed = parse_release_yaml(text);
    ASSERT_TRUE(parsed) << text;
    EXPECT_TRUE(parsed->empty()) << text;
  }
}

TEST(ReleaseYaml, RejectsMalformedOutput) {
  EXPECT_FALSE(parse_release_yaml("default_process_types: [a, b]"));
  EXPECT_FALSE(parse_release_yaml("default_process_types: {web: [x]}"));
  EXPECT_FALSE(parse_release_yaml("key: [unclosed"));
  EXPECT_FALSE(parse_release_yaml("- a list"));
}

}  // namespace
}  // namespace porter::builders
