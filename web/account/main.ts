/** The account page (placeholder until it is built). */
export {};
