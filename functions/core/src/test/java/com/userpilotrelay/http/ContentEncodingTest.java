package com.userpilotrelay.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.userpilotrelay.testing.Compress;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ContentEncodingTest {
  private static final byte[] JSON = "{\"type\":\"identify\",\"userId\":\"Zoë\"}".getBytes(StandardCharsets.UTF_8);

  private static byte[] gzip(byte[] data) {
    return Compress.gzip(data);
  }

  private static byte[] deflate(byte[] data, boolean raw) {
    return Compress.deflate(data, raw);
  }

  @Test
  void noHeaderAndIdentityLeaveTheBytesAlone() throws Exception {
    assertSame(JSON, ContentEncoding.decode(null, JSON, 100));
    assertSame(JSON, ContentEncoding.decode("identity", JSON, 100));
    assertSame(JSON, ContentEncoding.decode(" Identity ", JSON, 100));
    assertSame(JSON, ContentEncoding.decode("", JSON, 100));
    assertSame(JSON, ContentEncoding.decode(" , identity", JSON, 100));
  }

  @Test
  void gzipAndBothFormsOfDeflateAreDecoded() throws Exception {
    assertArrayEquals(JSON, ContentEncoding.decode("gzip", gzip(JSON), 100));
    assertArrayEquals(JSON, ContentEncoding.decode("GZIP", gzip(JSON), 100));
    assertArrayEquals(JSON, ContentEncoding.decode("x-gzip", gzip(JSON), 100));
    assertArrayEquals(JSON, ContentEncoding.decode("gzip, identity", gzip(JSON), 100));
    assertArrayEquals(JSON, ContentEncoding.decode("deflate", deflate(JSON, false), 100));
    assertArrayEquals(JSON, ContentEncoding.decode("deflate", deflate(JSON, true), 100));
  }

  @Test
  void theLimitAppliesToTheDecodedBytesAtTheByte() throws Exception {
    byte[] exactly = new byte[1000];
    Arrays.fill(exactly, (byte) ' ');
    assertEquals(1000, ContentEncoding.decode("gzip", gzip(exactly), 1000).length);
    ContentEncoding.Refused over = assertThrows(ContentEncoding.Refused.class,
        () -> ContentEncoding.decode("gzip", gzip(exactly), 999));
    assertEquals(413, over.status());
    assertTrue(over.getMessage().contains("more than 999 bytes once decompressed"), over.getMessage());
  }

  @Test
  void aGzipBombStopsAtTheLimit() throws Exception {
    // 16 GiB of zeros as 16,384 gzip members of 1 MiB each (about 17 MB): more than any test heap holds,
    // so this passes only if decoding stops at the limit instead of inflating everything.
    byte[] member = gzip(new byte[1 << 20]);
    ByteArrayOutputStream bomb = new ByteArrayOutputStream();
    for (int i = 0; i < 16_384; i++) {
      bomb.write(member);
    }
    ContentEncoding.Refused e = assertThrows(ContentEncoding.Refused.class,
        () -> ContentEncoding.decode("gzip", bomb.toByteArray(), 3_000_000));
    assertEquals(413, e.status());
  }

  @Test
  void otherCodingsAre415NamingTheHeader() {
    for (String header : new String[] {"br", "compress", "zstd", "gzip, br", "gzip, gzip", "gzip;q=1"}) {
      ContentEncoding.Refused e = assertThrows(ContentEncoding.Refused.class,
          () -> ContentEncoding.decode(header, JSON, 100), header);
      assertEquals(415, e.status(), header);
      assertTrue(e.getMessage().startsWith("content-encoding: "), e.getMessage());
    }
    ContentEncoding.Refused hostile = assertThrows(ContentEncoding.Refused.class,
        () -> ContentEncoding.decode("evil\"\u0000\r\n" + "x".repeat(500), JSON, 100));
    assertTrue(hostile.getMessage().length() < 250 && !hostile.getMessage().contains("\u0000"), hostile.getMessage());
  }

  @Test
  void bodiesThatAreNotWhatTheHeaderSaysAre400() {
    byte[] whole = gzip(JSON);
    for (byte[] body : new byte[][] {JSON, new byte[0], Arrays.copyOf(whole, whole.length - 12)}) {
      ContentEncoding.Refused e = assertThrows(ContentEncoding.Refused.class,
          () -> ContentEncoding.decode("gzip", body, 100));
      assertEquals(400, e.status());
      assertTrue(e.getMessage().startsWith("body: "), e.getMessage());
    }
    ContentEncoding.Refused e = assertThrows(ContentEncoding.Refused.class,
        () -> ContentEncoding.decode("deflate", JSON, 100));
    assertEquals(400, e.status());
  }
}
