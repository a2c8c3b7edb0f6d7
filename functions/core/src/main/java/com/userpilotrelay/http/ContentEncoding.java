package com.userpilotrelay.http;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;
import java.util.zip.ZipException;

/**
 * Undoes a request's {@code Content-Encoding}: gzip (and x-gzip) and deflate are decoded, identity or no
 * header leaves the bytes alone, anything else is refused. Decoding stops one byte past the limit, so a
 * small body that inflates to gigabytes (a "gzip bomb") costs at most the limit in memory and time.
 */
public final class ContentEncoding {
  /** Why a body cannot be decoded, with the HTTP status that says so. */
  public static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;
    private final int status;

    Refused(int status, String message) {
      super(message, null, false, false);
      this.status = status;
    }

    public int status() {
      return status;
    }
  }

  private ContentEncoding() {}

  /**
   * @param header the Content-Encoding value, or null
   * @param body the bytes as received
   * @param maxDecoded the largest decoded body acceptable
   * @return the decoded body (the same array when nothing was encoded)
   */
  public static byte[] decode(String header, byte[] body, int maxDecoded) throws Refused {
    List<String> codings = new ArrayList<>();
    if (header != null) {
      for (String part : header.split(",", -1)) {
        String coding = HttpText.stripOws(part).toLowerCase(Locale.ROOT);
        if (!coding.isEmpty() && !coding.equals("identity")) {
          codings.add(coding);
        }
      }
    }
    if (codings.isEmpty()) {
      return body;
    }
    if (codings.size() > 1) {
      throw new Refused(415, "content-encoding: more than one coding (" + printable(header) + "); send the body"
          + " uncompressed, or compressed once with gzip or deflate");
    }
    String coding = codings.get(0);
    switch (coding) {
      case "gzip", "x-gzip" -> {
        return inflate(coding, body, maxDecoded, false);
      }
      case "deflate" -> {
        try {
          return inflate(coding, body, maxDecoded, false);
        } catch (Refused e) {
          if (e.status() != 400) {
            throw e;
          }
          // RFC 9110's deflate is zlib-wrapped; some clients send the raw stream.
          return inflate(coding, body, maxDecoded, true);
        }
      }
      default -> throw new Refused(415, "content-encoding: " + printable(coding) + " is not supported; send the"
          + " body uncompressed (no Content-Encoding, or identity), or with gzip or deflate");
    }
  }

  private static byte[] inflate(String coding, byte[] body, int maxDecoded, boolean rawDeflate) throws Refused {
    byte[] decoded;
    Inflater inflater = coding.equals("deflate") ? new Inflater(rawDeflate) : null;
    try (InputStream in = inflater != null ? new InflaterInputStream(new ByteArrayInputStream(body), inflater)
        : new GZIPInputStream(new ByteArrayInputStream(body))) {
      decoded = in.readNBytes(maxDecoded + 1);
    } catch (ZipException e) {
      throw new Refused(400, "body: not valid " + coding + " data (" + e.getMessage() + "); send what the"
          + " Content-Encoding header says, or drop the header");
    } catch (IOException e) {
      throw new Refused(400, "body: the " + coding + " data ends early; send the whole compressed body");
    } finally {
      if (inflater != null) {
        inflater.end();
      }
    }
    if (decoded.length > maxDecoded) {
      throw new Refused(413, "body: more than " + maxDecoded + " bytes once decompressed (Content-Encoding: "
          + coding + "); the request limit applies to the decompressed body");
    }
    return decoded;
  }

  /** A header value as it may appear in an error: letters, digits and a few marks, at most 40. */
  private static String printable(String value) {
    StringBuilder out = new StringBuilder("\"");
    for (int i = 0; i < value.length() && i < 40; i++) {
      char c = value.charAt(i);
      out.append(c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? c : '?');
    }
    return out.append(value.length() > 40 ? "…\"" : "\"").toString();
  }
}
