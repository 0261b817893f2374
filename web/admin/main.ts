/** The admin page (placeholder until it is built). */
export {};
