// A browser's cookie jar and redirect handling over fetch, enough to run one origin's sign-in
// and consent pages the way a user's browser would.
/** A browser's cookie jar and redirect handling, enough for one origin. */
export class Browser {
  private cookies = new Map<string, string>();
  constructor(private readonly origin: string) {}
  async request(url: string, init: { method?: string; form?: Record<string, string> } = {}) {
    const res = await fetch(new URL(url, this.origin), {
      method: init.method ?? 'GET',
      redirect: 'manual',
      headers: {
        cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: init.form ? new URLSearchParams(init.form) : undefined,
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i);
      const value = pair!.slice(i + 1);
      if (/expires=Thu, 01 Jan 1970/i.test(c) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return { status: res.status, location: res.headers.get('location') ?? undefined, text: await res.text() };
  }
  /** Follows redirects on the server's origin; stops at the first page or an off-origin redirect. */
  async follow(url: string, init: { method?: string; form?: Record<string, string> } = {}) {
    let r = await this.request(url, init);
    let last = url;
    while (r.location && new URL(r.location, this.origin).origin === this.origin) {
      last = new URL(r.location, this.origin).href;
      r = await this.request(last);
    }
    return { ...r, url: last };
  }
}

