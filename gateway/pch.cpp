// Builds the precompiled header every module reuses (CMakeLists.txt: porter_pch).
