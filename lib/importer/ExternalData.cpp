//===- ExternalData.cpp - Reading tensors stored beside the model ---------===//
//
// This is the one place that decides which files a model may make us read.
// A model is untrusted input: its external_data locations must not reach
// outside the model's folder, whether by an absolute path, `..`, a symlink
// (to a file or a folder on the way) or a hard link to a file elsewhere;
// and nothing outside the folder is ever opened, not even to be refused.
//
//===----------------------------------------------------------------------===//

#include "lib/importer/ExternalData.h"
#include "lib/importer/ImportError.h"

#include "onnx/onnx_pb.h"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace onnxc {
namespace {

/// Parses a decimal number in [0, 2^63): a file offset. Rejects signs,
/// spaces and anything that does not fit an off_t.
bool parseSize(const std::string &text, uint64_t &value) {
  if (text.empty() || text.size() > 19)
    return false;
  value = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return false;
    value = value * 10 + uint64_t(c - '0');
  }
  return value <= uint64_t(INT64_MAX);
}

/// `text` with control bytes shown as \xHH, for messages.
std::string printable(const std::string &text) {
  static const char *hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : text) {
    if (c >= 0x20 && c < 0x7f) {
      out += char(c);
      continue;
    }
    out += "\\x";
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

struct ClosesFd {
  int fd;
  ~ClosesFd() {
    if (fd >= 0)
      ::close(fd);
  }
};

} // namespace

std::string readExternalData(const std::string &modelDir,
                             const onnx::TensorProto &tensor,
                             uint64_t expectedBytes) {
  const std::string &name = tensor.name();
  auto fail = [&](const std::string &why) -> ImportError {
    return ImportError("tensor '" + name + "': external data " + why);
  };

  std::string location;
  uint64_t offset = 0, length = 0;
  bool hasLength = false;
  for (const auto &entry : tensor.external_data()) {
    if (entry.key() == "location")
      location = entry.value();
    else if (entry.key() == "offset" && !parseSize(entry.value(), offset))
      throw fail("has an invalid offset '" + printable(entry.value()) +
                 "' (a decimal number below 2^63)");
    else if (entry.key() == "length") {
      if (!parseSize(entry.value(), length))
        throw fail("has an invalid length '" + printable(entry.value()) +
                   "' (a decimal number below 2^63)");
      hasLength = true;
    }
  }
  if (location.empty())
    throw fail("has no location");
  // A C path stops at the first NUL: "ok.bin\0/../x" would name another file
  // than the one checked. Refuse before the text is used as a path at all.
  if (location.find('\0') != std::string::npos)
    throw fail("location '" + printable(location) + "' contains a NUL byte");
  if (modelDir.empty())
    throw fail("cannot be read: the model was not loaded from a file");
  if (location[0] == '/')
    throw fail("location '" + location +
               "' is an absolute path; only paths inside the model's folder "
               "are allowed");
  uint64_t end;
  if (__builtin_add_overflow(offset, length, &end) ||
      end > uint64_t(INT64_MAX))
    throw fail("range [" + std::to_string(offset) + ", +" +
               std::to_string(length) + ") overflows a file offset");
  if (hasLength && length != expectedBytes)
    throw fail("length " + std::to_string(length) +
               " does not match the tensor's shape and type, which need " +
               std::to_string(expectedBytes) + " bytes");

  // Check every component before opening anything: `..` must not be
  // resolved, not even inside the folder.
  std::vector<std::string> parts;
  for (size_t start = 0; start <= location.size();) {
    size_t stop = location.find('/', start);
    if (stop == std::string::npos)
      stop = location.size();
    std::string part = location.substr(start, stop - start);
    start = stop + 1;
    if (part.empty() || part == ".")
      continue;
    if (part == "..")
      throw fail("location '" + location +
                 "' contains '..'; only paths inside the model's folder are "
                 "allowed");
    parts.push_back(part);
  }
  if (parts.empty())
    throw fail("location '" + location + "' names the model's folder");

  // Walk down from the folder with openat and O_NOFOLLOW, one component at
  // a time, so what is opened is what was checked (no window for a rename
  // between a check and the open). O_NONBLOCK: opening a FIFO must not wait
  // for a writer; it is refused as not a regular file right after.
  int dirFd = ::open(modelDir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirFd < 0)
    throw fail("cannot be read: the model's folder cannot be opened: " +
               std::string(std::strerror(errno)));
  ClosesFd dir{dirFd};
  ClosesFd file{-1};
  for (size_t i = 0; i < parts.size(); ++i) {
    bool last = i + 1 == parts.size();
    int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK |
                (last ? 0 : O_DIRECTORY);
    int fd = ::openat(dir.fd, parts[i].c_str(), flags);
    if (fd < 0) {
      int err = errno;
      struct stat st;
      if ((err == ELOOP || err == ENOTDIR) &&
          ::fstatat(dir.fd, parts[i].c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
          S_ISLNK(st.st_mode))
        throw fail("location '" + location +
                   "' goes through a symbolic link; links are not followed");
      throw fail("file '" + location + "' cannot be opened: " +
                 std::strerror(err));
    }
    if (last) {
      file.fd = fd;
    } else {
      ::close(dir.fd);
      dir.fd = fd;
    }
  }

  struct stat st;
  if (::fstat(file.fd, &st) != 0 || !S_ISREG(st.st_mode))
    throw fail("location '" + location + "' is not a regular file");
  if (st.st_nlink != 1)
    throw fail("file '" + location +
               "' has several hard links; it may live outside the model's "
               "folder, so it is not read");

  uint64_t fileSize = uint64_t(st.st_size);
  if (offset > fileSize)
    throw fail("offset " + std::to_string(offset) + " is past the end of '" +
               location + "' (" + std::to_string(fileSize) + " bytes)");
  if (!hasLength)
    length = fileSize - offset;
  if (length > fileSize - offset)
    throw fail("range [" + std::to_string(offset) + ", +" +
               std::to_string(length) + ") is past the end of '" + location +
               "' (" + std::to_string(fileSize) + " bytes)");
  if (length != expectedBytes)
    throw fail("holds " + std::to_string(length) + " bytes from offset " +
               std::to_string(offset) + " of '" + location +
               "', but the tensor's shape and type need " +
               std::to_string(expectedBytes));

  std::string bytes(length, '\0');
  uint64_t done = 0;
  while (done < length) {
    ssize_t n =
        ::pread(file.fd, &bytes[done], length - done, off_t(offset + done));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      throw fail("file '" + location + "' could not be read");
    done += uint64_t(n);
  }
  return bytes;
}

} // namespace onnxc
