//===- Linker.cpp - Model objects into libraries --------------------------===//

#include "codegen/Linker.h"

#include "llvm/Object/Archive.h"
#include "llvm/Object/ArchiveWriter.h"
#include "llvm/Object/ObjectFile.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

namespace onnxc {

namespace {

/// The architecture's name when `triple` is not the host's ("aarch64"),
/// "" for the host.
std::string crossArch(const std::string &triple) {
  if (triple.empty())
    return "";
  llvm::Triple target(triple);
  llvm::Triple host(llvm::sys::getDefaultTargetTriple());
  if (target.getArch() == host.getArch())
    return "";
  return llvm::Triple::getArchTypeName(target.getArch()).str();
}

/// Debian's cross libc for `arch` (`/usr/<arch>-linux-gnu/lib`), or "".
std::string crossLibDir(const std::string &arch) {
  llvm::SmallString<64> dir("/usr");
  llvm::sys::path::append(dir, arch + "-linux-gnu", "lib");
  llvm::SmallString<64> libc(dir);
  llvm::sys::path::append(libc, "libc.so");
  return llvm::sys::fs::exists(libc) ? std::string(dir) : std::string();
}

/// libgcc.a of Debian's newest cross gcc for `arch`, or "" (optional: the
/// runtime and model code need none of its helpers today, but gcc may call
/// them, e.g. outline atomics, and an archive adds only what is used).
std::string crossLibgcc(const std::string &arch) {
  llvm::SmallString<64> root("/usr/lib/gcc-cross");
  llvm::sys::path::append(root, arch + "-linux-gnu");
  std::string best;
  int bestVersion = -1;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(root, ec), end; it != end && !ec;
       it.increment(ec)) {
    int version;
    if (llvm::StringRef(llvm::sys::path::filename(it->path()))
            .getAsInteger(10, version))
      continue;
    llvm::SmallString<128> lib(it->path());
    llvm::sys::path::append(lib, "libgcc.a");
    if (version > bestVersion && llvm::sys::fs::exists(lib)) {
      bestVersion = version;
      best = std::string(lib);
    }
  }
  return best;
}

/// lld under the names Debian gives it.
std::string findLld() {
  for (const char *name : {"ld.lld-22", "ld.lld"})
    if (auto path = llvm::sys::findProgramByName(name))
      return *path;
  if (auto path = llvm::sys::findProgramByName("ld.lld",
                                               {"/usr/lib/llvm-22/bin"}))
    return *path;
  return "";
}

/// Whether the model object calls into libomp (its parallel kernels:
/// codegen/CpuPipeline.cpp), so the library must depend on it.
bool usesOpenMP(const std::string &objectBytes) {
  auto object = llvm::object::ObjectFile::createObjectFile(
      llvm::MemoryBufferRef(objectBytes, "model.o"));
  if (!object) {
    llvm::consumeError(object.takeError());
    return false;
  }
  for (const llvm::object::SymbolRef &symbol : (*object)->symbols()) {
    llvm::Expected<uint32_t> flags = symbol.getFlags();
    llvm::Expected<llvm::StringRef> name = symbol.getName();
    if (!flags || !name) {
      llvm::consumeError(flags.takeError());
      llvm::consumeError(name.takeError());
      continue;
    }
    if ((*flags & llvm::object::SymbolRef::SF_Undefined) &&
        name->starts_with("__kmpc_"))
      return true;
  }
  return false;
}

/// The host's libomp (Debian: libomp5-NN puts libomp.so.5 on the loader's
/// path), or "".
std::string findLibomp() {
  for (const char *path : {"/usr/lib/x86_64-linux-gnu/libomp.so.5",
                           "/usr/lib/aarch64-linux-gnu/libomp.so.5",
                           "/usr/lib/llvm-22/lib/libomp.so.5"})
    if (llvm::sys::fs::exists(path))
      return path;
  return "";
}

} // namespace

std::string findRuntimeArchive(const char *argv0, const std::string &triple,
                               std::string &error) {
  std::string exe =
      llvm::sys::fs::getMainExecutable(argv0, (void *)&findRuntimeArchive);
  std::string arch = crossArch(triple);
  llvm::SmallString<256> path(llvm::sys::path::parent_path(exe));
  llvm::sys::path::append(path, "..", "lib");
  if (!arch.empty())
    llvm::sys::path::append(path, arch);
  llvm::sys::path::append(path, "libonnxc_runtime.a");
  if (llvm::sys::fs::exists(path))
    return std::string(path);
  if (arch.empty())
    error = "cannot find libonnxc_runtime.a next to the compiler (expected "
            "in <bindir>/../lib)";
  else
    error = "no " + arch + " runtime: " + std::string(path) +
            " is missing; the build cross-compiles it only when it finds " +
            arch + "-linux-gnu-gcc (install gcc-" + arch +
            "-linux-gnu and reconfigure, see scripts/setup.sh)";
  return "";
}

bool linkSharedLibrary(const std::string &objectBytes,
                       const std::string &runtimeArchive,
                       const std::string &triple, const std::string &outPath,
                       std::string &error) {
  std::string arch = crossArch(triple);
  std::string linker, libDir;
  if (arch.empty()) {
    auto cc = llvm::sys::findProgramByName("cc");
    if (!cc) {
      error = "no C compiler driver 'cc' on PATH to link the shared library";
      return false;
    }
    linker = *cc;
  } else {
    linker = findLld();
    if (linker.empty()) {
      error = "no ld.lld-22 (or ld.lld) on PATH to link an " + arch +
              " shared library (install lld-22)";
      return false;
    }
    libDir = crossLibDir(arch);
    if (libDir.empty()) {
      error = "no " + arch + " C library in /usr/" + arch +
              "-linux-gnu/lib to link against (install " +
              (arch == "aarch64" ? std::string("libc6-dev-arm64-cross")
                                 : "the cross libc6-dev for " + arch) +
              ")";
      return false;
    }
  }

  llvm::SmallString<128> objectPath;
  int fd;
  if (llvm::sys::fs::createTemporaryFile("onnxc-model", "o", fd, objectPath)) {
    error = "cannot create a temporary object file";
    return false;
  }
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << objectBytes;
  }
  // Parallel kernels call libomp: the library records DT_NEEDED
  // libomp.so.5 (its soname), so loading it loads libomp.
  std::string libomp;
  if (usesOpenMP(objectBytes)) {
    libomp = arch.empty() ? findLibomp() : "";
    if (libomp.empty()) {
      llvm::sys::fs::remove(objectPath);
      error = "the model's parallel code needs libomp.so.5 to link " +
              outPath + ", and none was found (install libomp-22-dev)";
      return false;
    }
  }
  std::string libDirFlag = "-L" + libDir;
  std::string libgcc = arch.empty() ? "" : crossLibgcc(arch);
  llvm::SmallVector<llvm::StringRef> args;
  if (arch.empty()) {
    args = {linker, "-shared", "-o", outPath, objectPath,
            "-Wl,--whole-archive", runtimeArchive, "-Wl,--no-whole-archive",
            "-lm", "-Wl,-z,noexecstack"};
    if (!libomp.empty())
      args.push_back(libomp);
  } else {
    // What `gcc -shared` passes its linker, less the crt objects: the
    // library has no C++ static constructors or destructors to run. `-z
    // defs`: a symbol nothing defines (a compiler builtin the cross libgcc
    // lacks) fails here, on the build machine, not when the library is
    // loaded on the device.
    args = {linker, "-shared", "-o", outPath, "--eh-frame-hdr",
            "--hash-style=gnu", "-z", "relro", "-z", "noexecstack",
            "-z", "defs",
            objectPath, "--whole-archive", runtimeArchive,
            "--no-whole-archive", libDirFlag, "-lm", "-lc"};
    if (!libgcc.empty())
      args.push_back(libgcc);
  }
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(linker, args, std::nullopt, {}, 0, 0,
                                     &message);
  llvm::sys::fs::remove(objectPath);
  if (rc != 0) {
    error = "linking " + outPath + " failed" +
            (message.empty() ? "" : ": " + message);
    return false;
  }
  return true;
}

bool writeStaticLibrary(const std::string &objectBytes,
                        const std::string &runtimeArchive,
                        const std::string &outPath, std::string &error) {
  std::vector<llvm::NewArchiveMember> members;
  members.emplace_back(llvm::MemoryBufferRef(objectBytes, "model.o"));
  auto buffer = llvm::MemoryBuffer::getFile(runtimeArchive);
  if (!buffer) {
    error = "cannot read the runtime archive " + runtimeArchive;
    return false;
  }
  auto archive = llvm::object::Archive::create((*buffer)->getMemBufferRef());
  if (!archive) {
    error = "the runtime archive is not an archive: " +
            llvm::toString(archive.takeError());
    return false;
  }
  llvm::Error err = llvm::Error::success();
  for (const auto &child : (*archive)->children(err)) {
    auto member = llvm::NewArchiveMember::getOldMember(child, true);
    if (!member) {
      error = llvm::toString(member.takeError());
      return false;
    }
    members.push_back(std::move(*member));
  }
  if (err) {
    error = llvm::toString(std::move(err));
    return false;
  }
  if (llvm::Error e = llvm::writeArchive(
          outPath, members, llvm::SymtabWritingMode::NormalSymtab,
          llvm::object::Archive::K_GNU, /*Deterministic=*/true,
          /*Thin=*/false)) {
    error = "cannot write " + outPath + ": " + llvm::toString(std::move(e));
    return false;
  }
  return true;
}

} // namespace onnxc
