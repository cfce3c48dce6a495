import { createSignal, Show } from "solid-js";
import { location, navigate } from "../app/router.js";
import { api, session } from "../app/services.js";
import { signIn, signUp } from "./session.js";

/** Sign in and sign up (cookie session); in local mode it says there is nothing to sign in to. */
export default function SignIn(props: { onSignedIn: () => void }) {
  const up = () => location().path === "/signup";
  const [email, setEmail] = createSignal("");
  const [password, setPassword] = createSignal("");
  const [name, setName] = createSignal("");
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    if (up() && password().length < 8) {
      setError("Use at least 8 characters for the password.");
      return;
    }
    setBusy(true);
    try {
      if (up()) await signUp(api, { email: email().trim(), password: password(), name: name().trim() });
      else await signIn(api, email().trim(), password());
      navigate("/library", { replace: true });
      props.onSignedIn();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="auth">
      <Show
        when={session().mode === "accounts"}
        fallback={
          <div class="card auth-card">
            <h1>No sign-in needed</h1>
            <p>This server runs in local mode: a single user, no accounts. Everything you do belongs to the default workspace.</p>
            <a class="button primary" href="/library">
              Open the library
            </a>
          </div>
        }
      >
        <form class="card auth-card form" onSubmit={submit}>
          <h1>{up() ? "Create your account" : "Sign in to Crealia"}</h1>
          <Show when={up()}>
            <label>
              Name
              <input type="text" autocomplete="name" value={name()} onInput={(e) => setName(e.currentTarget.value)} required />
            </label>
          </Show>
          <label>
            Email
            <input type="email" autocomplete="email" value={email()} onInput={(e) => setEmail(e.currentTarget.value)} required />
          </label>
          <label>
            Password
            <input
              type="password"
              autocomplete={up() ? "new-password" : "current-password"}
              value={password()}
              onInput={(e) => setPassword(e.currentTarget.value)}
              minLength={up() ? 8 : undefined}
              required
            />
          </label>
          <Show when={error()}>
            <p class="field-error" role="alert">
              {error()}
            </p>
          </Show>
          <button type="submit" class="button primary" disabled={busy()}>
            {busy() ? (up() ? "Creating…" : "Signing in…") : up() ? "Create account" : "Sign in"}
          </button>
          <p class="muted">
            {up() ? "Already have an account? " : "New here? "}
            <a href={up() ? "/signin" : "/signup"}>{up() ? "Sign in" : "Create an account"}</a>
          </p>
        </form>
      </Show>
    </div>
  );
}
