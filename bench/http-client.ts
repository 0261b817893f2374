import http from 'node:http';

export interface JsonResponse {
  readonly status: number;
  readonly body: unknown;
}

export interface JsonClient {
  post(path: string, body: unknown): Promise<JsonResponse>;
  close(): void;
}

/**
 * A minimal JSON-over-HTTP client on node:http with a keep-alive agent (one socket per concurrent
 * request, like a browser's connection reuse). No Origin header: the CSRF guard lets scripts in.
 */
export function createJsonClient(baseUrl: string, maxSockets: number): JsonClient {
  const base = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  return {
    post: (path, body) => {
      const payload = Buffer.from(JSON.stringify(body));
      return new Promise<JsonResponse>((resolve, reject) => {
        const request = http.request(
          {
            host: base.hostname,
            port: base.port,
            path,
            method: 'POST',
            agent,
            timeout: 60_000,
            headers: { 'content-type': 'application/json', 'content-length': payload.length },
          },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('error', reject);
            response.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              let parsed: unknown = text;
              try {
                parsed = text === '' ? null : JSON.parse(text);
              } catch {
                // not JSON: keep the text for the failure report
              }
              resolve({ status: response.statusCode ?? 0, body: parsed });
            });
          },
        );
        request.on('timeout', () => request.destroy(new Error('no answer within 60 s')));
        request.on('error', reject);
        request.end(payload);
      });
    },
    close: () => {
      agent.destroy();
    },
  };
}
