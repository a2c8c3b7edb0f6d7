package com.userpilotrelay.local;

import com.userpilotrelay.config.ConfigException;
import com.userpilotrelay.config.Setting;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The key of ingest's stamp, kept beside the queues in DATA_DIR: the queued events outlive a restart, so
 * their stamps must too. Created once (32 random bytes, readable by the owner only).
 */
final class StampKey {
  static final String FILE = "ingest-stamp.key";

  private StampKey() {}

  static byte[] load(Path dataDir) {
    Path file = dataDir.resolve(FILE);
    try {
      if (!Files.exists(file)) {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        try {
          Files.createFile(file, posixOwnerOnly(dataDir));
          Files.writeString(file, HexFormat.of().formatHex(key), StandardOpenOption.TRUNCATE_EXISTING);
        } catch (FileAlreadyExistsException raced) {
          // another start created it first: use that one
        }
      }
      byte[] key = HexFormat.of().parseHex(Files.readString(file).trim());
      if (key.length < 16) {
        throw new ConfigException(Setting.DATA_DIR.name() + ": " + file + " is damaged (too short); delete it"
            + " only if the events queue is empty, since queued events carry stamps made with it");
      }
      return key;
    } catch (IOException | IllegalArgumentException e) {
      throw new ConfigException(Setting.DATA_DIR.name() + ": cannot read or create " + file + " ("
          + e.getClass().getSimpleName() + ")", e);
    }
  }

  private static java.nio.file.attribute.FileAttribute<?>[] posixOwnerOnly(Path dir) {
    if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      return new java.nio.file.attribute.FileAttribute<?>[] {
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))};
    }
    return new java.nio.file.attribute.FileAttribute<?>[0];
  }
}
