//===- PhaseClock.h - Timing of back-end phases (--timing) ------*- C++ -*-===//
//
// The object and PTX emitters both report how long each of their phases
// (translation, optimization, machine code...) took when onnx-compile runs
// with --timing.
//
//===----------------------------------------------------------------------===//

#ifndef ONNXC_CODEGEN_PHASECLOCK_H
#define ONNXC_CODEGEN_PHASECLOCK_H

#include "llvm/Support/raw_ostream.h"

#include <chrono>

namespace onnxc {

/// Prints, when enabled, the time since the previous lap (or construction)
/// under the phase's name.
class PhaseClock {
public:
  explicit PhaseClock(bool enabled) : enabled(enabled) {}
  void lap(const char *phase) {
    auto now = std::chrono::steady_clock::now();
    if (enabled)
      llvm::errs() << "onnx-compile:   " << phase << ": "
                   << std::chrono::duration_cast<std::chrono::milliseconds>(
                          now - last)
                          .count()
                   << " ms\n";
    last = now;
  }

private:
  bool enabled;
  std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();
};

} // namespace onnxc

#endif // ONNXC_CODEGEN_PHASECLOCK_H
