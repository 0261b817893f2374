import { createHash } from 'node:crypto';

/**
 * Branding of the portal (P4 Customization): the logo is kept in the policy document as a data URL
 * (the admin center reads a file and PATCHes it) and served as bytes by GET /sspr/branding/logo.
 */

/** Largest logo accepted, in decoded bytes (100 KiB). */
export const LOGO_MAX_BYTES = 100 * 1024;

/** Longest data URL that can hold LOGO_MAX_BYTES (base64 grows by 4/3, plus the prefix). */
export const LOGO_MAX_DATA_URL_LENGTH =
  'data:image/svg+xml;base64,'.length + 4 * Math.ceil(LOGO_MAX_BYTES / 3);

export const logoContentTypes = ['image/png', 'image/jpeg', 'image/webp', 'image/svg+xml'] as const;
export type LogoContentType = (typeof logoContentTypes)[number];

const dataUrlPattern = /^data:(image\/(?:png|jpeg|webp|svg\+xml));base64,([A-Za-z0-9+/]*={0,2})$/;

export const accentColorPattern = /^#[0-9a-fA-F]{6}$/;

export interface Logo {
  readonly contentType: LogoContentType;
  readonly bytes: Buffer;
}

export type LogoCheck =
  | { readonly ok: true; readonly contentType: LogoContentType; readonly size: number }
  | { readonly ok: false; readonly message: string };

function decodedLength(base64: string): number {
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  return (base64.length / 4) * 3 - padding;
}

function startsWith(bytes: Buffer, signature: readonly number[], at = 0): boolean {
  return signature.every((b, i) => bytes[at + i] === b);
}

/** True when the first bytes are those of the declared image format. */
function signatureMatches(contentType: LogoContentType, head: Buffer): boolean {
  switch (contentType) {
    case 'image/png':
      return startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    case 'image/jpeg':
      return startsWith(head, [0xff, 0xd8, 0xff]);
    case 'image/webp':
      return (
        startsWith(head, [0x52, 0x49, 0x46, 0x46]) && startsWith(head, [0x57, 0x45, 0x42, 0x50], 8)
      );
    case 'image/svg+xml':
      return true; // checked on the decoded text below
  }
}

/**
 * Checks a logo data URL: `data:image/(png|jpeg|webp|svg+xml);base64,…`, canonical base64, at most
 * LOGO_MAX_BYTES decoded, and bytes that are really of the declared format (an SVG must be UTF-8
 * text with an <svg> element). Cheap for raster images: only the first bytes are decoded.
 */
export function checkLogoDataUrl(value: string): LogoCheck {
  if (value.length > LOGO_MAX_DATA_URL_LENGTH) {
    return { ok: false, message: `the logo is larger than ${String(LOGO_MAX_BYTES / 1024)} KiB` };
  }
  const match = dataUrlPattern.exec(value);
  const contentType = match?.[1] as LogoContentType | undefined;
  const base64 = match?.[2];
  if (contentType === undefined || base64 === undefined) {
    return {
      ok: false,
      message: 'the logo must be a data URL data:image/(png|jpeg|webp|svg+xml);base64,…',
    };
  }
  if (base64.length === 0 || base64.length % 4 !== 0) {
    return { ok: false, message: 'the logo is not valid base64' };
  }
  const size = decodedLength(base64);
  if (size > LOGO_MAX_BYTES) {
    return { ok: false, message: `the logo is larger than ${String(LOGO_MAX_BYTES / 1024)} KiB` };
  }
  if (contentType === 'image/svg+xml') {
    const text = Buffer.from(base64, 'base64').toString('utf8');
    if (text.includes('\uFFFD') || !/<svg[\s>]/i.test(text)) {
      return { ok: false, message: 'the logo is not an SVG image' };
    }
  } else if (!signatureMatches(contentType, Buffer.from(base64.slice(0, 16), 'base64'))) {
    return { ok: false, message: `the logo is not a ${contentType.slice('image/'.length)} image` };
  }
  return { ok: true, contentType, size };
}

/** The image of a logo data URL (which passed checkLogoDataUrl when it was stored). */
export function decodeLogo(dataUrl: string): Logo | null {
  const check = checkLogoDataUrl(dataUrl);
  if (!check.ok) return null;
  const base64 = dataUrl.slice(dataUrl.indexOf(',') + 1);
  return { contentType: check.contentType, bytes: Buffer.from(base64, 'base64') };
}

/** A short, stable version of the logo: the first 16 hex digits of SHA-256 over the data URL. */
export function logoVersion(dataUrl: string): string {
  return createHash('sha256').update(dataUrl).digest('hex').slice(0, 16);
}

/** What the audit trail records for a logo: never the image, only its hash, size and type. */
export function logoAuditValue(
  value: unknown,
): { sha256: string; bytes: number; contentType: string } | null {
  if (typeof value !== 'string') return null;
  const check = checkLogoDataUrl(value);
  return {
    sha256: logoVersion(value),
    bytes: check.ok ? check.size : value.length,
    contentType: check.ok ? check.contentType : 'invalid',
  };
}
