#include "procfile.hpp"

#include <gtest/gtest.h>

namespace porter::builders {
namespace {

TEST(Procfile, ParsesTypesAndCommands) {
  auto parsed = parse_procfile("# processes\nweb: bundle exec puma -p $PORT\n\nworker:python worker.py  \r\nrelease: bin/migrate\n");
  ASSERT_TRUE(std::holds_alternative<ProcessTypes>(parsed));
  const auto& types = std::get<ProcessTypes>(parsed);
  ASSERT_EQ(types.size(), 3u);
  EXPECT_EQ(types.at("web"), "bundle exec puma -p $PORT");
  EXPECT_EQ(types.at("worker"), "python worker.py");
  EXPECT_EQ(types.at("release"), "bin/migrate");
}

TEST(Procfile, ErrorsNameTheLine) {
  auto parsed = parse_procfile("web: ok\nnot a process line\n");
  ASSERT_TRUE(std::holds_alternative<ParseError>(parsed));
  EXPECT_NE(std::get<ParseError>(parsed).message.find("line 2"), std::string::npos);
  EXPECT_TRUE(std::holds_alternative<ParseError>(parse_procfile("web:\n")));
  EXPECT_TRUE(std::holds_alternative<ParseError>(parse_procfile("web: a\nweb: b\n")));
}

TEST(ReleaseYaml, ReadsDefaultProcessTypes) {
  auto parsed = parse_release_yaml("---\naddons: []\ndefault_process_types:\n  web: npm start\n  worker: node w.js\n");
  ASSERT_TRUE(std::holds_alternative<ProcessTypes>(parsed));
  EXPECT_EQ(std::get<ProcessTypes>(parsed).at("web"), "npm start");
  EXPECT_EQ(std::get<ProcessTypes>(parsed).size(), 2u);
}

TEST(ReleaseYaml, EmptyOrMissingMeansNone) {
  for (const auto* text : {"", "{}", "--- {}\n", "default_process_types: {}\n", "default_process_types:\n"}) {
    auto parsed = parse_release_yaml(text);
    ASSERT_TRUE(std::holds_alternative<ProcessTypes>(parsed)) << text;
    EXPECT_TRUE(std::get<ProcessTypes>(parsed).empty()) << text;
  }
}

TEST(ReleaseYaml, RejectsMalformedOutput) {
  EXPECT_TRUE(std::holds_alternative<ParseError>(parse_release_yaml("default_process_types: [a, b]")));
  EXPECT_TRUE(std::holds_alternative<ParseError>(parse_release_yaml("default_process_types: {web: [x]}")));
  EXPECT_TRUE(std::holds_alternative<ParseError>(parse_release_yaml("key: [unclosed")));
  EXPECT_TRUE(std::holds_alternative<ParseError>(parse_release_yaml("- a list")));
}

}  // namespace
}  // namespace porter::builders
