/** Request validation settings shared by the server and the scratch server that tries a plugin's routes. */
export const AJV_OPTIONS = {
  customOptions: { removeAdditional: false, useDefaults: true, coerceTypes: "array" as const, allErrors: true },
};
