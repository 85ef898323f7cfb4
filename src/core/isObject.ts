/** Anything that can carry properties to read: objects, arrays, class instances (not functions). */
export const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
