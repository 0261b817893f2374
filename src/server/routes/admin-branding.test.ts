import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, errorCode, type TestApp } from '../../../test/support/test-app.js';
import { auditOf, signInWithRoles, getOk } from '../../../test/support/actions.js';
import { PNG_1PX } from '../../../test/support/images.js';
import { LOGO_MAX_BYTES } from '../../domain/model/branding.js';

interface Customization {
  helpdeskLink: string | null;
  organizationName: string | null;
  accentColor: string | null;
  logo: string | null;
}

interface Settings {
  organizationName: string;
  helpdeskLink: string | null;
  accentColor: string | null;
  logoUrl: string | null;
}

interface ErrorBody {
  error: { code: string; details?: { issues?: { path: string; message: string }[] } };
}

const PNG_URL = `data:image/png;base64,${PNG_1PX}`;
const SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>';
const SVG_URL = `data:image/svg+xml;base64,${Buffer.from(SVG).toString('base64')}`;
/** A PNG (by its signature) of exactly `size` bytes. */
const pngUrlOfSize = (size: number) =>
  `data:image/png;base64,${Buffer.concat([
    Buffer.from(PNG_1PX, 'base64').subarray(0, 8),
    Buffer.alloc(size - 8, 7),
  ]).toString('base64')}`;

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp({ organizationName: 'Contoso (config)' });
});
afterEach(async () => {
  await t.close();
});

const patch = (body: unknown, auth: { token?: string; cookie?: string } = {}) =>
  t.request('PATCH', '/api/v1/admin/policy', {
    ...(auth.cookie === undefined
      ? { token: auth.token ?? t.adminToken }
      : { cookie: auth.cookie }),
    body,
  });

const settings = () => getOk<Settings>(t, '/api/v1/sspr/settings');

const customization = async (): Promise<Customization> =>
  (await getOk<{ customization: Customization }>(t, '/api/v1/admin/policy')).customization;

describe('branding in the policy document', () => {
  it('defaults to null and the public settings fall back to the configured name', async () => {
    expect(await customization()).toEqual({
      helpdeskLink: null,
      organizationName: null,
      accentColor: null,
      logo: null,
    });
    expect(await settings()).toEqual({
      organizationName: 'Contoso (config)',
      helpdeskLink: null,
      accentColor: null,
      logoUrl: null,
    });
    const logo = await t.request('GET', '/api/v1/sspr/branding/logo');
    expect(logo.statusCode).toBe(404);
    expect(errorCode(logo)).toBe('SSPR_1004');
  });

  it('stores name, colour and logo, shows them to everyone and serves the logo, cacheable by version', async () => {
    const res = await patch({
      customization: {
        organizationName: '  Fabrikam Ltd ',
        accentColor: '#0a5cad',
        logo: PNG_URL,
        helpdeskLink: 'https://help.fabrikam.com',
      },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<{ customization: Customization }>().customization).toEqual({
      organizationName: 'Fabrikam Ltd',
      accentColor: '#0a5cad',
      logo: PNG_URL,
      helpdeskLink: 'https://help.fabrikam.com',
    });
    const shown = await settings();
    expect(shown).toMatchObject({
      organizationName: 'Fabrikam Ltd',
      helpdeskLink: 'https://help.fabrikam.com',
      accentColor: '#0a5cad',
    });
    expect(shown.logoUrl).toMatch(/^\/api\/v1\/sspr\/branding\/logo\?v=[0-9a-f]{16}$/);

    const logo = await t.app.inject({ method: 'GET', url: shown.logoUrl ?? '' });
    expect(logo.statusCode).toBe(200);
    expect(logo.headers['content-type']).toBe('image/png');
    expect(logo.headers['x-content-type-options']).toBe('nosniff');
    expect(logo.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(logo.rawPayload.equals(Buffer.from(PNG_1PX, 'base64'))).toBe(true);

    // Without the current version the browser must revalidate (a new logo is seen at once).
    for (const url of [
      '/api/v1/sspr/branding/logo',
      '/api/v1/sspr/branding/logo?v=0123456789abcdef',
    ]) {
      const other = await t.app.inject({ method: 'GET', url });
      expect(other.statusCode).toBe(200);
      expect(other.headers['cache-control'], url).toBe('no-cache');
    }
    // Other API answers are still not cacheable.
    const plain = await t.request('GET', '/api/v1/sspr/settings');
    expect(plain.headers['cache-control']).toBe('no-store');
  });

  it('serves an SVG logo sandboxed, and a new logo gets a new version', async () => {
    expect((await patch({ customization: { logo: PNG_URL } })).statusCode).toBe(200);
    const first = (await settings()).logoUrl;
    expect((await patch({ customization: { logo: SVG_URL } })).statusCode).toBe(200);
    const second = (await settings()).logoUrl;
    expect(second).not.toBe(first);
    const svg = await t.app.inject({ method: 'GET', url: second ?? '' });
    expect(svg.statusCode).toBe(200);
    expect(svg.headers['content-type']).toBe('image/svg+xml');
    expect(svg.headers['content-security-policy']).toBe(
      "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    );
    expect(svg.headers['x-content-type-options']).toBe('nosniff');
    expect(svg.body).toBe(SVG);
    // The old version is no longer cached for good.
    const old = await t.app.inject({ method: 'GET', url: first ?? '' });
    expect(old.headers['cache-control']).toBe('no-cache');
  });

  it('clears with null or an empty string', async () => {
    await patch({
      customization: { organizationName: 'Fabrikam', accentColor: '#112233', logo: PNG_URL },
    });
    expect(
      (await patch({ customization: { logo: null, accentColor: '', organizationName: ' ' } }))
        .statusCode,
    ).toBe(200);
    expect(await settings()).toEqual({
      organizationName: 'Contoso (config)',
      helpdeskLink: null,
      accentColor: null,
      logoUrl: null,
    });
    expect(errorCode(await t.request('GET', '/api/v1/sspr/branding/logo'))).toBe('SSPR_1004');
  });

  it('accepts a logo of 100 KiB (above the usual body limit) and refuses a larger one', async () => {
    const largest = pngUrlOfSize(LOGO_MAX_BYTES);
    expect(largest.length).toBeGreaterThan(64 * 1024);
    const ok = await patch({ customization: { logo: largest } });
    expect(ok.statusCode, ok.body.slice(0, 200)).toBe(200);
    const logo = await t.request('GET', '/api/v1/sspr/branding/logo');
    expect(logo.rawPayload.length).toBe(LOGO_MAX_BYTES);

    const tooLarge = await patch({ customization: { logo: pngUrlOfSize(LOGO_MAX_BYTES + 1) } });
    expect(tooLarge.statusCode).toBe(400);
    expect(errorCode(tooLarge)).toBe('SSPR_1001');
    expect(tooLarge.json<ErrorBody>().error.details?.issues).toEqual([
      { path: 'customization.logo', message: 'the logo is larger than 100 KiB' },
    ]);
    // Far above: refused before any parsing by the route's body limit.
    const huge = await patch({ customization: { logo: 'x'.repeat(400_000) } });
    expect(huge.statusCode).toBe(413);
    expect(errorCode(huge)).toBe('SSPR_1002');
    // Other routes keep the small limit.
    const users = await t.request('POST', '/api/v1/admin/users', {
      token: t.adminToken,
      body: { userPrincipalName: 'a@contoso.com', displayName: 'x'.repeat(100_000) },
    });
    expect(errorCode(users)).toBe('SSPR_1002');
  });

  const invalid: [string, Record<string, unknown>, string][] = [
    ['a GIF logo', { logo: 'data:image/gif;base64,R0lGODlhAQABAAAAACw=' }, 'customization.logo'],
    ['a logo URL', { logo: 'https://fabrikam.com/logo.png' }, 'customization.logo'],
    [
      'a PNG logo that is not one',
      { logo: `data:image/png;base64,${Buffer.from('<svg/>').toString('base64')}` },
      'customization.logo',
    ],
    [
      'an HTML page as SVG',
      {
        logo: `data:image/svg+xml;base64,${Buffer.from('<html><script>x</script>').toString('base64')}`,
      },
      'customization.logo',
    ],
    ['a colour name', { accentColor: 'red' }, 'customization.accentColor'],
    ['a short hex colour', { accentColor: '#abc' }, 'customization.accentColor'],
    ['a 65-character name', { organizationName: 'x'.repeat(65) }, 'customization.organizationName'],
    ['a number as name', { organizationName: 42 }, 'customization.organizationName'],
  ];

  it.each(invalid)(
    'refuses %s with 400 SSPR_1001 naming the field, changes nothing',
    async (_n, body, path) => {
      await patch({ customization: { organizationName: 'Fabrikam' } });
      const res = await patch({ customization: body });
      expect(res.statusCode).toBe(400);
      expect(errorCode(res)).toBe('SSPR_1001');
      expect(res.json<ErrorBody>().error.details?.issues?.map((i) => i.path)).toEqual([path]);
      expect(await customization()).toMatchObject({
        organizationName: 'Fabrikam',
        logo: null,
        accentColor: null,
      });
      const failures = await auditOf(t, 'Self-service password reset policy changes', {
        result: 'failure',
      });
      expect(failures).toHaveLength(1);
    },
  );

  it('keeps other policy problems on SSPR_4005', async () => {
    const res = await patch({ methodsRequired: 3 });
    expect(errorCode(res)).toBe('SSPR_4005');
  });

  it('audits branding changes with old and new values, the logo as hash and size only', async () => {
    await patch({
      customization: { organizationName: 'Fabrikam', accentColor: '#112233', logo: PNG_URL },
    });
    await patch({ customization: { accentColor: '#445566', logo: SVG_URL } });
    const events = await auditOf(t, 'Self-service password reset policy changes');
    expect(events).toHaveLength(2);
    const latest = events[0]?.details.modifiedProperties;
    expect(latest).toEqual(
      expect.arrayContaining([
        { property: 'customization.accentColor', oldValue: '#112233', newValue: '#445566' },
        {
          property: 'customization.logo',
          oldValue: {
            sha256: expect.stringMatching(/^[0-9a-f]{16}$/) as unknown,
            bytes: 70,
            contentType: 'image/png',
          },
          newValue: {
            sha256: expect.stringMatching(/^[0-9a-f]{16}$/) as unknown,
            bytes: Buffer.byteLength(SVG),
            contentType: 'image/svg+xml',
          },
        },
      ]),
    );
    expect(latest).toHaveLength(2);
    const first = events[1]?.details.modifiedProperties;
    expect(first).toEqual(
      expect.arrayContaining([
        { property: 'customization.organizationName', oldValue: null, newValue: 'Fabrikam' },
        expect.objectContaining({ property: 'customization.logo', oldValue: null }),
      ]),
    );
    // The image itself is never in the audit trail.
    const all = await t.request('GET', '/api/v1/admin/audit?limit=500', { token: t.adminToken });
    expect(all.body).not.toContain(PNG_1PX.slice(0, 24));
    expect(all.body).not.toContain('data:image');
  });

  it('lets only policy writers change branding; a reports reader can read it', async () => {
    const cookie = await signInWithRoles(t, 'reader@contoso.com', ['reportsReader']);
    const res = await patch({ customization: { organizationName: 'Evil' } }, { cookie });
    expect(res.statusCode).toBe(403);
    expect(errorCode(res)).toBe('SSPR_2002');
    const read = await t.request('GET', '/api/v1/admin/policy', { cookie });
    expect(read.statusCode).toBe(200);
    expect((await settings()).organizationName).toBe('Contoso (config)');
  });
});
