// The loader tests' fixture: compose files written to a temporary folder and loaded with no
// inherited environment, project "t" unless the case names one.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "engine/compose/load.h"
#include "tests/support/support.h"

namespace varan::compose {

class Load : public ::testing::Test {
 protected:
  void write(const std::string& name, const std::string& text) {
    std::filesystem::path p = dir_.path() + "/" + name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  Project load(const std::string& yaml, LoadOptions o = {}) {
    if (!yaml.empty()) write("compose.yaml", yaml);
    if (o.cwd.empty()) o.cwd = dir_.path();
    o.inherit_environment = false;
    if (o.project_name.empty() && o.environment.empty()) o.project_name = "t";
    return load_project(o);
  }
  std::string error(const std::string& yaml, LoadOptions o = {}) {
    try {
      load(yaml, std::move(o));
    } catch (const Error& e) {
      return e.what();
    }
    return "<no error>";
  }
  const Json& svc(const Project& p, const std::string& name) {
    const Service* s = p.find(name);
    EXPECT_NE(s, nullptr) << name;
    static const Json kNull;
    return s ? s->config : kNull;
  }
  test::TempDir dir_;
};

}  // namespace varan::compose
