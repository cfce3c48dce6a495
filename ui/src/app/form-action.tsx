import { createSignal, Show } from "solid-js";
import { messageOf } from "../api/errors.js";

/**
 * A form's submit with the feedback every form owes its user: busy while the request runs and the
 * failure in words. `run` returns a message to refuse the input before any request, or nothing.
 */
export function formAction(run: (form: HTMLFormElement, data: FormData) => Promise<string | undefined>) {
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);
  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    setError(null);
    setBusy(true);
    try {
      const refusal = await run(form, new FormData(form));
      if (refusal) setError(refusal);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, submit };
}

/** The error line under a form, announced to screen readers. */
export function FormError(props: { error: string | null }) {
  return (
    <Show when={props.error}>
      <p class="field-error" role="alert">
        {props.error}
      </p>
    </Show>
  );
}
