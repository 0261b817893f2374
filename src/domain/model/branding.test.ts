import { describe, expect, it } from 'vitest';
import {
  LOGO_MAX_BYTES,
  checkLogoDataUrl,
  decodeLogo,
  logoAuditValue,
  logoVersion,
} from './branding.js';
import { ssprPolicySchema } from './sspr-policy.js';
import { PNG_1PX } from '../../../test/support/images.js';

const dataUrl = (type: string, bytes: Buffer | string) =>
  `data:${type};base64,${Buffer.from(bytes).toString('base64')}`;

/** PNG signature followed by `size - 8` filler bytes. */
const pngOfSize = (size: number) =>
  Buffer.concat([Buffer.from(PNG_1PX, 'base64').subarray(0, 8), Buffer.alloc(size - 8, 1)]);

const issues = (customization: unknown) => {
  const r = ssprPolicySchema.safeParse({ customization });
  return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
};

describe('logo data URLs', () => {
  it('accepts PNG, JPEG, WebP and SVG whose bytes match the declared type', () => {
    const ok = [
      `data:image/png;base64,${PNG_1PX}`,
      dataUrl('image/jpeg', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46])),
      dataUrl(
        'image/webp',
        Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 ')]),
      ),
      dataUrl('image/svg+xml', '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'),
      dataUrl('image/svg+xml', '<?xml version="1.0"?>\n<svg>\n<title>Łódź</title></svg>'),
    ];
    for (const url of ok)
      expect(checkLogoDataUrl(url), url.slice(0, 40)).toMatchObject({ ok: true });
    expect(checkLogoDataUrl(`data:image/png;base64,${PNG_1PX}`)).toEqual({
      ok: true,
      contentType: 'image/png',
      size: Buffer.from(PNG_1PX, 'base64').length,
    });
  });

  it('refuses other types, bad base64, lying bytes and anything over 100 KiB', () => {
    const bad = [
      'https://contoso.com/logo.png',
      `data:image/gif;base64,${Buffer.from('GIF89a').toString('base64')}`,
      `data:text/html;base64,${Buffer.from('<script>').toString('base64')}`,
      `data:image/png,${PNG_1PX}`,
      'data:image/png;base64,',
      'data:image/png;base64,iVBORw0KGgo$',
      'data:image/png;base64,iVBORw0KGg',
      dataUrl('image/png', '<svg></svg>'),
      dataUrl('image/jpeg', Buffer.from(PNG_1PX, 'base64')),
      dataUrl('image/svg+xml', '<html><script>alert(1)</script></html>'),
      dataUrl('image/svg+xml', Buffer.from([0xff, 0xfe, 0x3c, 0x73, 0x76, 0x67, 0x3e])),
      dataUrl('image/png', pngOfSize(LOGO_MAX_BYTES + 1)),
      `data:image/png;base64,${PNG_1PX}\n`,
    ];
    for (const url of bad) expect(checkLogoDataUrl(url).ok, url.slice(0, 60)).toBe(false);
    expect(checkLogoDataUrl(dataUrl('image/png', pngOfSize(LOGO_MAX_BYTES)))).toMatchObject({
      ok: true,
      size: LOGO_MAX_BYTES,
    });
    expect(checkLogoDataUrl(dataUrl('image/png', pngOfSize(LOGO_MAX_BYTES + 1)))).toEqual({
      ok: false,
      message: 'the logo is larger than 100 KiB',
    });
  });

  it('decodes to the image bytes, versions by hash and audits without the image', () => {
    const url = `data:image/png;base64,${PNG_1PX}`;
    const logo = decodeLogo(url);
    expect(logo?.contentType).toBe('image/png');
    expect(logo?.bytes.equals(Buffer.from(PNG_1PX, 'base64'))).toBe(true);
    expect(decodeLogo('data:image/png;base64,AAAA')).toBeNull();
    expect(logoVersion(url)).toMatch(/^[0-9a-f]{16}$/);
    expect(logoVersion(url)).not.toBe(logoVersion(dataUrl('image/svg+xml', '<svg/>')));
    const audited = logoAuditValue(url);
    expect(audited).toEqual({ sha256: logoVersion(url), bytes: 70, contentType: 'image/png' });
    expect(JSON.stringify(audited)).not.toContain(PNG_1PX.slice(0, 20));
    expect(logoAuditValue(null)).toBeNull();
  });
});

describe('policy customization', () => {
  it('defaults every branding key to null', () => {
    expect(ssprPolicySchema.parse({}).customization).toEqual({
      helpdeskLink: null,
      organizationName: null,
      accentColor: null,
      logo: null,
    });
  });

  it('validates the organisation name, accent colour and logo', () => {
    expect(
      issues({
        organizationName: '  Contoso Ltd  ',
        accentColor: '#0A5cad',
        logo: `data:image/png;base64,${PNG_1PX}`,
      }),
    ).toEqual([]);
    expect(
      ssprPolicySchema.parse({ customization: { organizationName: ' Contoso ' } }).customization
        .organizationName,
    ).toBe('Contoso');
    expect(issues({ organizationName: 'x'.repeat(65) })).toEqual([
      'customization.organizationName',
    ]);
    expect(issues({ organizationName: `${'x'.repeat(64)}   ` })).toEqual([]);
    for (const colour of ['red', '#fff', '#12345g', '0a5cad', '#0a5cad00', 'rgb(0,0,0)']) {
      expect(issues({ accentColor: colour }), colour).toEqual(['customization.accentColor']);
    }
    expect(issues({ logo: 'data:image/gif;base64,R0lGODlh' })).toEqual(['customization.logo']);
    expect(issues({ logo: 'x'.repeat(200_000) })).toEqual(['customization.logo']);
  });
});
